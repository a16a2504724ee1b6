namespace Perf.Invoker.Feed;

/// <summary>A snapshot of one partition's bookkeeping, for <c>/metrics</c> and for tests of docs/architecture.md §3 invariants 2–3.</summary>
/// <param name="Partition">The partition.</param>
/// <param name="InFlight">Its activations between dispatch and completion.</param>
/// <param name="CommittableOffset">The lowest incomplete offset, or one past the last dispatched (−1 before the first).</param>
/// <param name="CommittedOffset">The last offset committed successfully (−1 before the first commit).</param>
/// <param name="IsRevoked">Revoked: nothing more is dispatched or committed for it.</param>
public readonly record struct FeedPartitionCounters(int Partition, int InFlight, long CommittableOffset, long CommittedOffset, bool IsRevoked);
