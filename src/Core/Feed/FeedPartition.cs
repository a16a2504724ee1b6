using System.Diagnostics;

namespace Perf.Invoker.Feed;

/// <summary>
/// One assigned partition of a <see cref="MessageFeed"/>: its offset tracker behind a lock, its commit state, and a
/// gate that keeps its commits one at a time and in order. A revoked partition's object lives on only as long as its
/// in-flight activations hold it; a reassignment gets a new one, so late completions never touch the new tracking.
/// </summary>
internal sealed class FeedPartition(int partition)
{
    /// <summary>Guards <see cref="_tracker"/> and <see cref="_completedSinceCommit"/>; held for a few instructions per dispatch and completion.</summary>
    private readonly Lock _sync = new();

    /// <summary>The partition's in-flight offsets; touched only under <see cref="_sync"/>.</summary>
    private readonly OffsetTracker _tracker = new();

    /// <summary>Serializes commits: each commits the tracker's offset read under it, so commits go out in increasing order.</summary>
    private readonly SemaphoreSlim _commitGate = new(1, 1);

    /// <summary>Completions since the offset of the last commit was read; under <see cref="_sync"/>, ≥ 0.</summary>
    private int _completedSinceCommit;

    /// <summary>The last offset committed successfully, −1 before the first; only increases, written under <see cref="_commitGate"/>.</summary>
    private long _committed = -1;

    /// <summary>Set once on revocation: nothing more is dispatched; final.</summary>
    private volatile bool _revoked;

    /// <summary>Set once after the revocation's final commit: nothing more is committed; final, implies <see cref="_revoked"/>.</summary>
    private volatile bool _sealed;

    public int Partition => partition;

    public bool IsRevoked => _revoked;

    public FeedPartitionCounters Counters
    {
        get
        {
            lock (_sync)
            {
                return new(partition, _tracker.InFlight, _tracker.Committable, Volatile.Read(ref _committed), _revoked);
            }
        }
    }

    /// <summary>Tracks a dispatched offset; false for one at or below an offset already tracked (see <see cref="OffsetTracker.TryTrack"/>).</summary>
    public bool TryTrack(long offset)
    {
        lock (_sync)
        {
            return _tracker.TryTrack(offset);
        }
    }

    /// <summary>Marks the offset completed; true when <paramref name="commitEvery"/> completions have gathered since the last commit.</summary>
    public bool Complete(long offset, int commitEvery)
    {
        lock (_sync)
        {
            _tracker.Complete(offset);
            return ++_completedSinceCommit >= commitEvery && !_sealed;
        }
    }

    /// <summary>Whether a commit would move the committed offset forward.</summary>
    public bool HasUncommitted
    {
        get
        {
            lock (_sync)
            {
                return !_sealed && _tracker.Committable > Volatile.Read(ref _committed);
            }
        }
    }

    public void Revoke() => _revoked = true;

    /// <summary>
    /// Commits the lowest incomplete offset if it moved since the last commit. With <paramref name="seal"/> (revocation)
    /// this is the partition's last commit; a commit that waited behind it finds the partition sealed and does nothing.
    /// </summary>
    public async ValueTask CommitAsync(IOffsetCommitter committer, bool seal, CancellationToken cancellationToken)
    {
        await _commitGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_sealed)
            {
                return;
            }

            if (seal)
            {
                // Set first: a failed final commit must not be retried later, after the partition may have a new owner.
                _sealed = true;
            }

            long offset;
            lock (_sync)
            {
                // Reset even when nothing moves (the completions were above an incomplete offset): the count asks again
                // after another batch, not on every completion until the low offset completes.
                _completedSinceCommit = 0;
                offset = _tracker.Committable;
                if (offset <= Volatile.Read(ref _committed))
                {
                    return;
                }
            }

            await committer.CommitAsync(partition, offset, cancellationToken).ConfigureAwait(false);
            Debug.Assert(offset > _committed, "commits only move forward");
            Volatile.Write(ref _committed, offset);
        }
        finally
        {
            _commitGate.Release();
        }
    }
}
