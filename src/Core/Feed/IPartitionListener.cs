namespace Perf.Invoker.Feed;

/// <summary>Told by an <see cref="IMessageSource"/> when its partitions change (a Kafka consumer group rebalance).</summary>
public interface IPartitionListener
{
    /// <summary>The source now delivers these partitions; each starts with fresh offset tracking.</summary>
    void PartitionsAssigned(IReadOnlyList<int> partitions);

    /// <summary>
    /// The source no longer owns these partitions. Their messages are not dispatched any more, and what completed is
    /// committed once, up to the lowest incomplete offset; activations still in flight may finish but are never
    /// committed by this invoker (the new owner re-reads them; the activation store suppresses the duplicate).
    /// Completes when that final commit is done, so a Kafka revocation handler can wait for it before giving the
    /// partitions up.
    /// </summary>
    ValueTask PartitionsRevokedAsync(IReadOnlyList<int> partitions, CancellationToken cancellationToken);
}
