namespace Perf.Invoker.Feed;

/// <summary>Settings of a <see cref="MessageFeed"/>.</summary>
public sealed class MessageFeedOptions
{
    /// <summary>Activations in flight at most: the peek window (<see cref="PeekWindow.MaxPeek"/>, docs/openwhisk.md §7). At least 1.</summary>
    public required int MaxPeek { get; init; }

    /// <summary>A partition commits after this many completions since its last commit, if the timer has not already.</summary>
    public int CommitEveryCompletions { get; init; } = 100;

    /// <summary>Every partition with completions not yet committed commits this often.</summary>
    public TimeSpan CommitInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Told about each handler task that ended faulted or cancelled (the offset and credit are given back all the same).
    /// The host's handler should turn failures into records and acks itself (docs/architecture.md §3 invariant 1); this is for
    /// logging what slipped through. Must not throw.
    /// </summary>
    public Action<FeedMessage, Exception>? OnHandlerFault { get; init; }

    /// <summary>
    /// The operator's enable/disable switch; while it is off the feed polls nothing and dispatches nothing, and what
    /// runs finishes. Null: always enabled. Several feeds may share one.
    /// </summary>
    public InvokerSwitch? Switch { get; init; }

    /// <summary>Told about each failed commit; the next commit of the partition covers the same offsets again. Must not throw.</summary>
    public Action<int, Exception>? OnCommitFault { get; init; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPeek, 1, nameof(MaxPeek));
        ArgumentOutOfRangeException.ThrowIfLessThan(CommitEveryCompletions, 1, nameof(CommitEveryCompletions));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(CommitInterval, TimeSpan.Zero, nameof(CommitInterval));
    }
}
