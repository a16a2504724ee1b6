namespace Perf.Invoker.Feed.Kafka;

/// <summary>
/// The <c>invoker&lt;N&gt;</c> consumer as the feed sees it: messages, partition changes and commits.
/// Revocation runs on the consumer's poll thread before the partitions are given up, and waits there
/// for the feed's final commit (docs/architecture.md §3 invariant 3: nothing past an incomplete offset).
/// </summary>
public sealed class KafkaMessageSource(KafkaActivationConsumer consumer) : IMessageSource, IOffsetCommitter
{
    public void SetPartitionListener(IPartitionListener listener)
    {
        consumer.PartitionsAssigned += listener.PartitionsAssigned;
        consumer.PartitionsRevoked += partitions =>
            listener.PartitionsRevokedAsync(partitions, CancellationToken.None).AsTask().GetAwaiter().GetResult();
    }

    public async ValueTask<FeedMessage> ReceiveAsync(CancellationToken cancellationToken)
    {
        KafkaMessage message = await consumer.ReceiveAsync(cancellationToken).ConfigureAwait(false);
        return new FeedMessage(message.Partition, message.Offset, message.Value, message.MayBeRedelivered);
    }

    /// <summary>Commits synchronously (the feed batches commits, so this runs about every 100 ms per partition).</summary>
    public ValueTask CommitAsync(int partition, long offset, CancellationToken cancellationToken)
    {
        // False: the partition was taken away meanwhile; its new owner starts from the last commit.
        consumer.Commit(partition, offset);
        return ValueTask.CompletedTask;
    }
}
