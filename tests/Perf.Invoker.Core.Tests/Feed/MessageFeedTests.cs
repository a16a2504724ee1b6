using Microsoft.Extensions.Time.Testing;
using Perf.Invoker.Feed;

namespace Perf.Invoker.Tests.Feed;

[Trait("Category", "Unit")]
public sealed class MessageFeedTests
{
    private static readonly TimeSpan s_never = TimeSpan.FromDays(1);

    [Fact]
    public async Task FullWindow_StopsPollingTheSource_UntilACreditReturns()
    {
        var source = new CountingSource();
        source.AddRange(partitions: 1, count: 10);
        var handler = new HeldHandler();
        var feed = NewFeed(source, new RecordingCommitter(), handler.HandleAsync, maxPeek: 3);
        using var stop = new CancellationTokenSource();

        Task run = feed.RunAsync(stop.Token);
        await Eventually.True(() => feed.IsWaitingForCredit, "the loop waits for a credit");

        Assert.Equal(3, handler.Started);
        Assert.Equal(3, source.ReceiveCalls);
        Assert.Equal(3, feed.CreditsInUse);

        handler.Succeed(0, 1);
        await Eventually.True(() => feed.Dispatched == 4 && feed.IsWaitingForCredit, "one more dispatched, then waiting again");

        Assert.Equal(4, source.ReceiveCalls);
        Assert.Equal(3, feed.CreditsInUse);

        for (long offset = 0; offset < 10; offset++)
        {
            if (offset != 1)
            {
                handler.Succeed(0, offset);
            }
        }

        await Eventually.True(() => feed.Completed == 10, "all completed");
        stop.Cancel();
        await run;
        AssertQuiet(feed);
    }

    [Fact]
    public async Task Credits_ReturnExactlyOnce_WhateverWayTheHandlerEnds()
    {
        var source = new CountingSource();
        source.AddRange(partitions: 1, count: 6);
        var handler = new HeldHandler();
        var feed = NewFeed(source, new RecordingCommitter(), handler.HandleAsync, maxPeek: 6);
        using var stop = new CancellationTokenSource();
        Task run = feed.RunAsync(stop.Token);
        await Eventually.True(() => handler.Started == 6, "all six dispatched");

        handler.Fail(0, 0);
        handler.Cancel(0, 1);
        handler.Succeed(0, 2);
        await Eventually.True(() => feed.Completed == 3, "three completed");
        Assert.Equal(3, feed.CreditsInUse);
        Assert.Equal(2, feed.HandlerFaults);

        handler.Cancel(0, 5);
        handler.Fail(0, 3);
        handler.Succeed(0, 4);
        await Eventually.True(() => feed.Completed == 6, "all completed");
        stop.Cancel();
        await run;

        AssertQuiet(feed);
        Assert.Equal(4, feed.HandlerFaults);
    }

    [Fact]
    public async Task AHandlerThatThrowsBeforeReturningATask_StillReturnsItsCreditAndOffset()
    {
        var source = new CountingSource();
        source.AddRange(partitions: 1, count: 5);
        var faults = new List<long>();
        var committer = new RecordingCommitter();
        var feed = new MessageFeed(
            source,
            committer,
            m => m.Offset % 2 == 0 ? throw new FormatException("malformed") : Task.CompletedTask,
            new MessageFeedOptions { MaxPeek = 2, CommitInterval = s_never, OnHandlerFault = (m, _) => { lock (faults) { faults.Add(m.Offset); } } },
            new FakeTimeProvider());
        using var stop = new CancellationTokenSource();
        Task run = feed.RunAsync(stop.Token);

        await Eventually.True(() => feed.Completed == 5, "all completed");
        stop.Cancel();
        await run;

        AssertQuiet(feed);
        Assert.Equal([0L, 2, 4], faults);
        Assert.Equal(5, committer.LastCommitOf(0));
    }

    [Fact]
    public async Task Commits_GoOutEveryKCompletions_WhenTheTimerHasNotFired()
    {
        var source = new CountingSource();
        source.AddRange(partitions: 1, count: 25);
        var committer = new RecordingCommitter();
        var feed = new MessageFeed(source, committer, _ => Task.CompletedTask,
            new MessageFeedOptions { MaxPeek = 4, CommitEveryCompletions = 10, CommitInterval = s_never }, new FakeTimeProvider());
        using var stop = new CancellationTokenSource();
        Task run = feed.RunAsync(stop.Token);

        await Eventually.True(() => feed.Completed == 25, "all completed");
        Assert.Equal([10L, 20], committer.CommitsOf(0));

        stop.Cancel();
        await run;
        Assert.Equal([10L, 20, 25], committer.CommitsOf(0));
    }

    [Fact]
    public async Task Commits_GoOutEachInterval_BeforeKCompletionsGather()
    {
        var source = new CountingSource();
        source.AddRange(partitions: 2, count: 3);
        var committer = new RecordingCommitter();
        var time = new FakeTimeProvider();
        var feed = new MessageFeed(source, committer, _ => Task.CompletedTask,
            new MessageFeedOptions { MaxPeek = 4, CommitEveryCompletions = 1000, CommitInterval = TimeSpan.FromMilliseconds(100) }, time);
        using var stop = new CancellationTokenSource();
        Task run = feed.RunAsync(stop.Token);
        await Eventually.True(() => feed.Completed == 6, "all completed");

        time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.Empty(committer.CommitsOf(0));

        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([3L], committer.CommitsOf(0));
        Assert.Equal([3L], committer.CommitsOf(1));

        // Nothing moved: the next tick commits nothing.
        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal([3L], committer.CommitsOf(0));

        source.Add(0, 3);
        await Eventually.True(() => feed.Completed == 7, "the late one completed");
        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal([3L, 4], committer.CommitsOf(0));
        Assert.Equal([3L], committer.CommitsOf(1));

        stop.Cancel();
        await run;
        AssertQuiet(feed);
    }

    [Fact]
    public async Task Commits_NeverPassAnIncompleteOffset()
    {
        var source = new CountingSource();
        source.AddRange(partitions: 1, count: 5);
        var handler = new HeldHandler();
        var committer = new RecordingCommitter();
        var time = new FakeTimeProvider();
        var feed = new MessageFeed(source, committer, handler.HandleAsync,
            new MessageFeedOptions { MaxPeek = 8, CommitEveryCompletions = 1, CommitInterval = TimeSpan.FromMilliseconds(100) }, time);
        using var stop = new CancellationTokenSource();
        Task run = feed.RunAsync(stop.Token);
        await Eventually.True(() => handler.Started == 5, "all dispatched");

        handler.Succeed(0, 4);
        handler.Succeed(0, 3);
        handler.Succeed(0, 1);
        await Eventually.True(() => feed.Completed == 3, "three completed");
        time.Advance(TimeSpan.FromMilliseconds(100));
        // Offset 0 is incomplete: committing 0 ("nothing consumed yet") is as far as a commit may go.
        Assert.Equal([0L], committer.CommitsOf(0));
        Assert.True(feed.TryGetPartition(0, out FeedPartitionCounters counters));
        Assert.Equal(new FeedPartitionCounters(0, InFlight: 2, CommittableOffset: 0, CommittedOffset: 0, IsRevoked: false), counters);

        handler.Succeed(0, 0);
        await Eventually.True(() => committer.LastCommitOf(0) == 2, "committed up to the incomplete offset 2");
        handler.Succeed(0, 2);
        await Eventually.True(() => committer.LastCommitOf(0) == 5, "committed to the end");

        stop.Cancel();
        await run;
        AssertQuiet(feed);
    }

    [Fact]
    public async Task Revocation_FlushesUpToTheLowestIncompleteOffset_ThenNeverCommitsOrDispatchesThatPartitionAgain()
    {
        var source = new CountingSource();
        source.AddRange(partitions: 2, count: 5);
        var handler = new HeldHandler();
        var committer = new RecordingCommitter();
        var time = new FakeTimeProvider();
        var feed = new MessageFeed(source, committer, handler.HandleAsync,
            new MessageFeedOptions { MaxPeek = 16, CommitEveryCompletions = 1000, CommitInterval = TimeSpan.FromMilliseconds(100) }, time);
        using var stop = new CancellationTokenSource();
        Task run = feed.RunAsync(stop.Token);
        await Eventually.True(() => handler.Started == 10, "all dispatched");
        IPartitionListener listener = source.Listener!;

        handler.Succeed(0, 0);
        handler.Succeed(0, 1);
        handler.Succeed(0, 3);
        await Eventually.True(() => feed.Completed == 3, "three completed");
        await listener.PartitionsRevokedAsync([0], CancellationToken.None);

        Assert.Equal([2L], committer.CommitsOf(0));
        Assert.True(feed.TryGetPartition(0, out FeedPartitionCounters revoked));
        Assert.True(revoked.IsRevoked);
        Assert.Equal(2, revoked.InFlight);

        // In flight ones may finish, but their offsets are the new owner's to commit.
        handler.Succeed(0, 2);
        handler.Succeed(0, 4);
        source.Add(0, 5);
        await Eventually.True(() => feed.Completed == 5 && feed.Skipped == 1, "revoked ones finished, the late message skipped");
        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal([2L], committer.CommitsOf(0));
        Assert.Equal(10, handler.Started);

        // The other partition carries on.
        for (long offset = 0; offset < 5; offset++)
        {
            handler.Succeed(1, offset);
        }

        await Eventually.True(() => feed.Completed == 10, "all completed");
        stop.Cancel();
        await run;

        Assert.Equal([2L], committer.CommitsOf(0));
        Assert.Equal(5, committer.LastCommitOf(1));
        AssertQuiet(feed);
    }

    [Fact]
    public async Task Reassignment_AfterRevocation_StartsFreshTracking()
    {
        var source = new CountingSource();
        var committer = new RecordingCommitter();
        var feed = NewFeed(source, committer, _ => Task.CompletedTask, maxPeek: 4);
        using var stop = new CancellationTokenSource();
        Task run = feed.RunAsync(stop.Token);
        IPartitionListener listener = source.Listener!;

        listener.PartitionsAssigned([0]);
        source.Add(0, 0);
        source.Add(0, 1);
        await Eventually.True(() => feed.Completed == 2, "two completed");
        await listener.PartitionsRevokedAsync([0], CancellationToken.None);
        listener.PartitionsAssigned([0]);
        source.Add(0, 7);
        await Eventually.True(() => feed.Completed == 3, "the reassigned partition dispatches");

        stop.Cancel();
        await run;
        Assert.Equal([2L, 8], committer.CommitsOf(0));
        AssertQuiet(feed);
    }

    [Fact]
    public async Task Shutdown_WaitsForInFlightActivations_ThenCommitsWhatCompleted()
    {
        var source = new CountingSource();
        source.AddRange(partitions: 1, count: 7);
        var handler = new HeldHandler();
        var committer = new RecordingCommitter();
        var feed = new MessageFeed(source, committer, handler.HandleAsync,
            new MessageFeedOptions { MaxPeek = 8, CommitEveryCompletions = 1000, CommitInterval = s_never }, new FakeTimeProvider());
        using var stop = new CancellationTokenSource();
        Task run = feed.RunAsync(stop.Token);
        await Eventually.True(() => handler.Started == 7, "all dispatched");
        for (long offset = 0; offset < 6; offset++)
        {
            handler.Succeed(0, offset);
        }

        stop.Cancel();
        await Eventually.True(() => feed.Completed == 6, "six completed");
        Assert.False(run.IsCompleted);
        Assert.Empty(committer.CommitsOf(0));

        handler.Succeed(0, 6);
        await run;

        Assert.Equal([7L], committer.CommitsOf(0));
        AssertQuiet(feed);
    }

    [Fact]
    public async Task Shutdown_WhileTheWindowIsFull_StopsWaitingForACredit()
    {
        var source = new CountingSource();
        source.AddRange(partitions: 1, count: 5);
        var handler = new HeldHandler();
        var feed = NewFeed(source, new RecordingCommitter(), handler.HandleAsync, maxPeek: 2);
        using var stop = new CancellationTokenSource();
        Task run = feed.RunAsync(stop.Token);
        await Eventually.True(() => feed.IsWaitingForCredit, "waiting for a credit");

        stop.Cancel();
        handler.Succeed(0, 0);
        handler.Succeed(0, 1);
        await run;

        Assert.Equal(2, source.ReceiveCalls);
        Assert.Equal(2, feed.Dispatched);
        AssertQuiet(feed);
    }

    [Fact]
    public async Task AFailedCommit_IsCounted_AndTheNextCommitCarriesTheOffsetAgain()
    {
        var source = new CountingSource();
        source.AddRange(partitions: 1, count: 4);
        var committer = new RecordingCommitter();
        int attempts = 0;
        committer.Fault = (_, _) => Interlocked.Increment(ref attempts) == 1 ? new TimeoutException("broker away") : null;
        var time = new FakeTimeProvider();
        var feed = new MessageFeed(source, committer, _ => Task.CompletedTask,
            new MessageFeedOptions { MaxPeek = 8, CommitEveryCompletions = 1000, CommitInterval = TimeSpan.FromMilliseconds(100) }, time);
        using var stop = new CancellationTokenSource();
        Task run = feed.RunAsync(stop.Token);
        await Eventually.True(() => feed.Completed == 4, "all completed");

        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(1, feed.CommitFaults);
        Assert.Empty(committer.CommitsOf(0));

        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal([4L], committer.CommitsOf(0));

        stop.Cancel();
        await run;
        AssertQuiet(feed);
    }

    [Fact]
    public async Task TenThousandMessages_WithSuccessesFaultsAndCancellations_EndWithNoCreditsInUse_AndEveryPartitionCommittedToItsEnd()
    {
        const int Partitions = 4;
        const int PerPartition = 2_500;
        var source = new CountingSource();
        source.AddRange(Partitions, PerPartition);
        var committer = new RecordingCommitter();
        int maxCredits = 0;
        MessageFeed feed = null!;
        feed = new MessageFeed(source, committer, HandleAsync,
            new MessageFeedOptions { MaxPeek = 64, CommitEveryCompletions = 50 }, new FakeTimeProvider());
        using var stop = new CancellationTokenSource();
        Task run = feed.RunAsync(stop.Token);

        await Eventually.True(() => feed.Completed == Partitions * PerPartition, "all completed");
        stop.Cancel();
        await run;

        AssertQuiet(feed);
        Assert.Equal(0, feed.CommitFaults); // the committer's own check that commits only go forward fails as a commit fault
        Assert.Equal(Partitions * PerPartition, source.ReceiveCalls - 1); // the last call was the one cancelled at shutdown
        Assert.InRange(maxCredits, 1, 64);
        for (int partition = 0; partition < Partitions; partition++)
        {
            Assert.Equal(PerPartition, committer.LastCommitOf(partition));
            Assert.True(feed.TryGetPartition(partition, out FeedPartitionCounters counters));
            Assert.Equal(new FeedPartitionCounters(partition, 0, PerPartition, PerPartition, false), counters);
        }

        // Offsets end in 0–9 equally often: 2 of every 10 throw, 2 of every 10 are cancelled.
        Assert.Equal(Partitions * PerPartition / 10 * 4, feed.HandlerFaults);

        async Task HandleAsync(FeedMessage message)
        {
            int inUse = feed.CreditsInUse;
            InterlockedMax(ref maxCredits, inUse);
            switch (message.Offset % 10)
            {
                case 0:
                    throw new InvalidOperationException("thrown before the first await");
                case 1:
                    await Task.Yield();
                    throw new InvalidOperationException("thrown after an await");
                case 2:
                    await Task.Yield();
                    throw new OperationCanceledException("cancelled");
                case 3:
                    using (var cancelled = new CancellationTokenSource())
                    {
                        await cancelled.CancelAsync();
                        await Task.Delay(Timeout.Infinite, cancelled.Token);
                    }

                    break;
                case 4:
                case 5:
                    await Task.Yield();
                    break;
                default:
                    break;
            }
        }
    }

    [Fact]
    public async Task AWindowOfOne_RunsTenThousandAsyncActivationsOneAtATime()
    {
        // Every dispatch after the first waits for the previous completion: the loop's sleep and wake race the
        // completing thread 10,000 times.
        var source = new CountingSource();
        source.AddRange(partitions: 1, count: 10_000);
        var committer = new RecordingCommitter();
        int running = 0;
        int overlaps = 0;
        var feed = NewFeed(source, committer, HandleAsync, maxPeek: 1);
        using var stop = new CancellationTokenSource();
        Task run = feed.RunAsync(stop.Token);

        await Eventually.True(() => feed.Completed == 10_000, "all completed");
        stop.Cancel();
        await run;

        Assert.Equal(0, overlaps);
        Assert.Equal(10_000, committer.LastCommitOf(0));
        AssertQuiet(feed);

        async Task HandleAsync(FeedMessage message)
        {
            if (Interlocked.Increment(ref running) != 1)
            {
                Interlocked.Increment(ref overlaps);
            }

            await Task.Yield();
            Interlocked.Decrement(ref running);
        }
    }

    [Fact]
    public async Task TimerCommits_RacingCountCommits_OnlyEverMoveForward_AndEndAtTheEnd()
    {
        const int Partitions = 2;
        const int PerPartition = 5_000;
        var source = new CountingSource();
        source.AddRange(Partitions, PerPartition);
        var committer = new RecordingCommitter();
        var time = new FakeTimeProvider();
        var feed = new MessageFeed(source, committer, async m => { if (m.Offset % 3 != 0) { await Task.Yield(); } },
            new MessageFeedOptions { MaxPeek = 32, CommitEveryCompletions = 7, CommitInterval = TimeSpan.FromMilliseconds(1) }, time);
        using var stop = new CancellationTokenSource();
        Task run = feed.RunAsync(stop.Token);

        // Another thread fires the commit timer over and over while activations complete on the thread pool.
        Task ticking = Task.Run(() =>
        {
            while (feed.Completed < Partitions * PerPartition)
            {
                time.Advance(TimeSpan.FromMilliseconds(1));
            }
        });
        await Eventually.True(() => feed.Completed == Partitions * PerPartition, "all completed");
        await ticking;
        stop.Cancel();
        await run;

        AssertQuiet(feed);
        Assert.Equal(0, feed.CommitFaults); // RecordingCommitter fails a commit that does not move forward
        for (int partition = 0; partition < Partitions; partition++)
        {
            Assert.Equal(PerPartition, committer.LastCommitOf(partition));
        }
    }

    [Fact]
    public async Task ARedeliveredOffset_IsSkipped_NotRunTwice()
    {
        var source = new CountingSource();
        source.Add(0, 0);
        source.Add(0, 1);
        source.Add(0, 1);
        source.Add(0, 0);
        source.Add(0, 2);
        var committer = new RecordingCommitter();
        int runs = 0;
        var feed = NewFeed(source, committer, _ => { Interlocked.Increment(ref runs); return Task.CompletedTask; }, maxPeek: 4);
        using var stop = new CancellationTokenSource();
        Task run = feed.RunAsync(stop.Token);

        await Eventually.True(() => feed.Completed == 3 && feed.Skipped == 2, "three ran, two skipped");
        stop.Cancel();
        await run;

        Assert.Equal(3, runs);
        Assert.Equal(3, committer.LastCommitOf(0));
        AssertQuiet(feed);
    }

    [Fact]
    public async Task ASourceFault_StillDrainsAndCommits_ThenSurfaces()
    {
        var handler = new HeldHandler();
        var source = new FaultingSource(messages: 3);
        var committer = new RecordingCommitter();
        var feed = new MessageFeed(source, committer, handler.HandleAsync,
            new MessageFeedOptions { MaxPeek = 8, CommitEveryCompletions = 1000, CommitInterval = s_never }, new FakeTimeProvider());

        Task run = feed.RunAsync(CancellationToken.None);
        await Eventually.True(() => handler.Started == 3, "three dispatched before the fault");
        Assert.False(run.IsCompleted);
        handler.Succeed(0, 0);
        handler.Fail(0, 1);
        handler.Succeed(0, 2);

        await Assert.ThrowsAsync<IOException>(() => run);
        Assert.Equal([3L], committer.CommitsOf(0));
        AssertQuiet(feed);
    }

    [Theory]
    [InlineData(0, 100, 100)]
    [InlineData(1, 0, 100)]
    [InlineData(1, 100, 0)]
    public void Options_OutOfRange_AreRefused(int maxPeek, int commitEvery, int intervalMillis) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new MessageFeed(new CountingSource(), new RecordingCommitter(), _ => Task.CompletedTask,
            new MessageFeedOptions { MaxPeek = maxPeek, CommitEveryCompletions = commitEvery, CommitInterval = TimeSpan.FromMilliseconds(intervalMillis) }));

    [Fact]
    public async Task RunAsync_IsRefusedTheSecondTime()
    {
        var feed = NewFeed(new CountingSource(), new RecordingCommitter(), _ => Task.CompletedTask, maxPeek: 1);
        using var stop = new CancellationTokenSource();
        Task run = feed.RunAsync(stop.Token);

        await Assert.ThrowsAsync<InvalidOperationException>(() => feed.RunAsync(stop.Token));
        stop.Cancel();
        await run;
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen = Volatile.Read(ref target);
        while (value > seen)
        {
            int previous = Interlocked.CompareExchange(ref target, value, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }

    /// <summary>docs/architecture.md §3 invariant 2 once everything has completed.</summary>
    private static void AssertQuiet(MessageFeed feed)
    {
        Assert.Equal(0, feed.CreditsInUse);
        Assert.Equal(feed.Dispatched, feed.Completed);
        Assert.All(feed.Partitions, p => Assert.Equal(0, p.InFlight));
        Assert.False(feed.IsWaitingForCredit);
    }

    private static MessageFeed NewFeed(CountingSource source, RecordingCommitter committer, FeedHandler handler, int maxPeek) =>
        new(source, committer, handler, new MessageFeedOptions { MaxPeek = maxPeek, CommitInterval = s_never }, new FakeTimeProvider());
}
