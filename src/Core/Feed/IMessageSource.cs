namespace Perf.Invoker.Feed;

/// <summary>
/// Where a <see cref="MessageFeed"/> takes its messages from: a Kafka consumer of <c>invoker&lt;N&gt;</c> (docs/openwhisk.md §1)
/// or the durable embedded queue. Only the feed's one poll loop calls <see cref="ReceiveAsync"/>, one call at a
/// time, and only while the peek window has a free credit, so a source never needs to buffer what it cannot hand out.
/// </summary>
public interface IMessageSource
{
    /// <summary>
    /// Called once by the feed before its first <see cref="ReceiveAsync"/>: the source reports partition assignment
    /// and revocation to <paramref name="listener"/> (a Kafka rebalance). A source with fixed partitions (the embedded
    /// feed) may ignore it; partitions a message arrives on without an assignment are treated as assigned.
    /// </summary>
    void SetPartitionListener(IPartitionListener listener);

    /// <summary>
    /// Waits for the next message. Within a partition offsets must increase; gaps are allowed (compacted or
    /// transactional Kafka offsets) and count as done. Throws <see cref="OperationCanceledException"/> when
    /// <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    ValueTask<FeedMessage> ReceiveAsync(CancellationToken cancellationToken);
}
