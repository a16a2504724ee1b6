namespace Perf.Invoker.Feed.Kafka;

/// <summary>One record from <c>invoker&lt;N&gt;</c>: where it sits in the log, and its bytes (an ActivationMessage).</summary>
/// <param name="MayBeRedelivered">
/// Its offset is below the partition's high watermark as it was when this member was assigned the partition: a previous
/// owner (a crashed invoker, or this one before a rebalance) may have handled it without committing.
/// </param>
public readonly record struct KafkaMessage(string Topic, int Partition, long Offset, ReadOnlyMemory<byte> Value, bool MayBeRedelivered);
