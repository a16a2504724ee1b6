namespace Perf.Invoker.Feed;

/// <summary>
/// Stores a partition's consumer position. <c>offset</c> in <see cref="CommitAsync"/> follows Kafka's commit
/// semantics: the next offset to consume, i.e. every offset below it has completed (docs/architecture.md §3 invariant 3).
/// </summary>
public interface IOffsetCommitter
{
    /// <summary>
    /// Commits <paramref name="offset"/> for <paramref name="partition"/>. The feed calls it at most once at a time per
    /// partition, with increasing offsets, and never after it has flushed the partition on revocation.
    /// </summary>
    ValueTask CommitAsync(int partition, long offset, CancellationToken cancellationToken);
}
