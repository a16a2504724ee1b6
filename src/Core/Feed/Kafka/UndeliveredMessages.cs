namespace Perf.Invoker.Feed.Kafka;

/// <summary>
/// Offsets of a partition the broker no longer had when this member came to read them: deleted by the topic's retention
/// while they waited (a consumer far behind, or paused by a full buffer), or truncated. Those activations are lost to
/// every invoker; the consumer names them instead of moving past them silently (docs/feed.md §4).
/// </summary>
/// <param name="FirstOffset">The first offset not delivered: the one expected next (after the last message read, or the committed offset).</param>
/// <param name="Count">How many offsets were skipped, up to the first message delivered after them.</param>
public readonly record struct UndeliveredMessages(string Topic, int Partition, long FirstOffset, long Count);
