namespace Perf.Invoker.Store;

/// <summary>A message of the durable queue and its sequence number, which acts as its partition offset.</summary>
public readonly record struct QueuedMessage(long Sequence, ReadOnlyMemory<byte> Message);
