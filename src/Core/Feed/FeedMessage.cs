namespace Perf.Invoker.Feed;

/// <summary>
/// One message taken from a feed: where it sits (partition and offset, Kafka's coordinates; the embedded feed
/// uses one partition) and its raw bytes, parsed only by the handler (<c>JsonModel.Read&lt;ActivationMessage&gt;</c>).
/// </summary>
/// <param name="Partition">The partition the message came from; offsets are tracked and committed per partition.</param>
/// <param name="Offset">The message's offset in its partition; a source delivers each partition's offsets in increasing order.</param>
/// <param name="Value">The message payload. It must stay valid until the handler's task completes.</param>
/// <param name="MayBeRedelivered">
/// A predecessor (a crashed process, or this member before a rebalance) may have handled it already, so the handler
/// asks the activation store for its record; false only when the source knows the message is new to every consumer.
/// </param>
public readonly record struct FeedMessage(int Partition, long Offset, ReadOnlyMemory<byte> Value, bool MayBeRedelivered);
