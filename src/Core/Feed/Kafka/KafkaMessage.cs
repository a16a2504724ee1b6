namespace Perf.Invoker.Feed.Kafka;

/// <summary>One record from <c>invoker&lt;N&gt;</c>: where it sits in the log, and its bytes (an ActivationMessage).</summary>
public readonly record struct KafkaMessage(string Topic, int Partition, long Offset, ReadOnlyMemory<byte> Value);
