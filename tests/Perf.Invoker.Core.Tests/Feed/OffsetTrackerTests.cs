using CsCheck;
using Perf.Invoker.Feed;

namespace Perf.Invoker.Tests.Feed;

[Trait("Category", "Unit")]
public sealed class OffsetTrackerTests
{
    [Fact]
    public void NewTracker_HasNothingToCommit()
    {
        var tracker = new OffsetTracker();

        Assert.False(tracker.HasStarted);
        Assert.Equal(-1, tracker.Committable);
        Assert.Equal(0, tracker.InFlight);
    }

    [Fact]
    public void Committable_IsTheFirstTrackedOffset_UntilItCompletes()
    {
        var tracker = new OffsetTracker();
        tracker.Track(40);
        tracker.Track(41);

        Assert.Equal(40, tracker.Committable);
        Assert.True(tracker.Complete(40));
        Assert.Equal(41, tracker.Committable);
        Assert.True(tracker.Complete(41));
        Assert.Equal(42, tracker.Committable);
    }

    [Fact]
    public void Complete_AboveAnIncompleteOffset_DoesNotMoveTheCommitPoint_UntilTheLowOneCompletes()
    {
        var tracker = new OffsetTracker();
        for (long offset = 0; offset < 5; offset++)
        {
            tracker.Track(offset);
        }

        Assert.False(tracker.Complete(3));
        Assert.False(tracker.Complete(1));
        Assert.False(tracker.Complete(4));
        Assert.Equal(0, tracker.Committable);

        Assert.True(tracker.Complete(0));
        Assert.Equal(2, tracker.Committable);
        Assert.True(tracker.Complete(2));
        Assert.Equal(5, tracker.Committable);
        Assert.Equal(0, tracker.InFlight);
    }

    [Fact]
    public void SkippedOffsets_CountAsCompleted()
    {
        // Compacted topics and transaction markers leave gaps that are never delivered.
        var tracker = new OffsetTracker();
        tracker.Track(10);
        tracker.Track(15);
        tracker.Track(200);

        tracker.Complete(10);
        Assert.Equal(15, tracker.Committable);
        tracker.Complete(15);
        Assert.Equal(200, tracker.Committable);
        tracker.Complete(200);
        Assert.Equal(201, tracker.Committable);
    }

    [Fact]
    public void AGapWithNothingInFlight_IsJumped_WithoutGrowingTheWindow()
    {
        var tracker = new OffsetTracker(64);
        tracker.Track(0);
        tracker.Complete(0);

        tracker.Track(1_000_000);

        Assert.Equal(1_000_000, tracker.Committable);
        Assert.Equal(64, tracker.Capacity);
    }

    [Fact]
    public void AnIncompleteOffsetFarBehind_GrowsTheWindow_AndKeepsEveryOffsetInFlight()
    {
        var tracker = new OffsetTracker(64);
        for (long offset = 0; offset < 1000; offset++)
        {
            tracker.Track(offset);
            if (offset != 0 && offset % 7 != 0)
            {
                tracker.Complete(offset);
            }
        }

        Assert.True(tracker.Capacity >= 1000);
        Assert.Equal(0, tracker.Committable);
        tracker.Complete(0);
        Assert.Equal(7, tracker.Committable);
        for (long offset = 7; offset < 1000; offset += 7)
        {
            tracker.Complete(offset);
        }

        Assert.Equal(1000, tracker.Committable);
        Assert.Equal(0, tracker.InFlight);
    }

    [Fact]
    public void Complete_Twice_Throws_AndChangesNothing()
    {
        var tracker = new OffsetTracker();
        tracker.Track(0);
        tracker.Track(1);
        tracker.Complete(1);

        Assert.Throws<InvalidOperationException>(() => tracker.Complete(1));
        Assert.Throws<InvalidOperationException>(() => tracker.Complete(2));
        Assert.Equal(1, tracker.InFlight);
        Assert.Equal(0, tracker.Committable);
    }

    [Fact]
    public void Track_OfAnOffsetNotAboveTheLast_Throws()
    {
        var tracker = new OffsetTracker();
        tracker.Track(5);

        Assert.Throws<InvalidOperationException>(() => tracker.Track(5));
        Assert.Throws<InvalidOperationException>(() => tracker.Track(3));
    }

    [Fact]
    public void TrackAndComplete_InASteadyWindow_DoNotAllocate()
    {
        var tracker = new OffsetTracker(64);
        // Warm up: the JIT and the first pass.
        Cycle(tracker, 0, 1_024);

        long before = GC.GetAllocatedBytesForCurrentThread();
        Cycle(tracker, 1_024, 102_400);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(102_400, tracker.Committable);

        // 32 in flight at a time, completed out of order (odd ones before even ones).
        static void Cycle(OffsetTracker tracker, long from, long to)
        {
            for (long batch = from; batch < to; batch += 32)
            {
                for (long offset = batch; offset < batch + 32; offset++)
                {
                    tracker.Track(offset);
                }

                for (long offset = batch + 1; offset < batch + 32; offset += 2)
                {
                    tracker.Complete(offset);
                }

                for (long offset = batch; offset < batch + 32; offset += 2)
                {
                    tracker.Complete(offset);
                }
            }
        }
    }

    /// <summary>
    /// Random interleavings of dispatch (with gaps) and completion in any order, against a set-based model:
    /// the commit point is the lowest incomplete offset, or one past the last tracked.
    /// </summary>
    [Fact]
    public void RandomCompletionOrders_MatchTheSetModel_AtEveryStep()
    {
        Gen.Select(Gen.Int[0, 1_000], Gen.Int[0, 1_000].Array[1, 400], Gen.Int[1, 130]).Sample(
            (start, ops, initialCapacity) =>
            {
                var tracker = new OffsetTracker(initialCapacity);
                var pending = new List<long>();
                long next = start;
                long modelCommittable = -1;
                for (int step = 0; step < ops.Length; step++)
                {
                    int op = ops[step];
                    bool track = pending.Count == 0 || op % 5 < 2;
                    if (track)
                    {
                        // Mostly consecutive, sometimes a gap of a few offsets, rarely a long one.
                        long offset = next + (op % 17 == 0 ? op : op % 11 == 0 ? op % 4 : 0);
                        tracker.Track(offset);
                        pending.Add(offset);
                        next = offset + 1;
                    }
                    else
                    {
                        long offset = pending[op % pending.Count];
                        pending.Remove(offset);
                        tracker.Complete(offset);
                    }

                    long expected = pending.Count == 0 ? next : pending.Min();
                    Assert.True(expected == tracker.Committable, $"step {step}: expected {expected}, tracker {tracker}");
                    Assert.True(tracker.Committable >= modelCommittable, $"step {step}: the commit point went back");
                    Assert.Equal(pending.Count, tracker.InFlight);
                    modelCommittable = tracker.Committable;
                }

                // Whatever the order, completing the rest ends one past the last offset.
                foreach (long offset in pending.OrderByDescending(o => o))
                {
                    tracker.Complete(offset);
                }

                Assert.Equal(next, tracker.Committable);
            },
            iter: 5_000);
    }
}
