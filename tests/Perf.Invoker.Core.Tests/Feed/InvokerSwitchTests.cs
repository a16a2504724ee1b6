using Microsoft.Extensions.Time.Testing;
using Perf.Invoker.Feed;

namespace Perf.Invoker.Tests.Feed;

/// <summary>The enable/disable switch as the feed honours it: nothing new while off, what runs finishes, credits come back.</summary>
[Trait("Category", "Unit")]
public sealed class InvokerSwitchTests
{
    [Fact]
    public async Task DisabledBeforeStart_TheFeedPollsNothing_UntilEnabled()
    {
        var invokerSwitch = new InvokerSwitch();
        invokerSwitch.Disable();
        var source = new CountingSource();
        source.AddRange(partitions: 1, count: 3);
        var handler = new HeldHandler();
        MessageFeed feed = NewFeed(source, handler, invokerSwitch);
        using var stop = new CancellationTokenSource();

        Task run = feed.RunAsync(stop.Token);
        await Eventually.True(() => feed.IsWaitingForEnable, "the loop waits for the switch");
        Assert.Equal(0, source.ReceiveCalls);
        Assert.Equal(0, feed.Dispatched);

        invokerSwitch.Enable();
        await Eventually.True(() => handler.Started == 3, "all three dispatched once enabled");
        Assert.False(feed.IsWaitingForEnable);
        SucceedAll(handler, 0, 3);
        await Eventually.True(() => feed.Completed == 3, "all completed");
        stop.Cancel();
        await run;
        AssertQuiet(feed);
    }

    [Fact]
    public async Task Disabling_DispatchesNothingMore_LetsInFlightWorkFinish_AndEnablingResumes()
    {
        var invokerSwitch = new InvokerSwitch();
        var source = new CountingSource();
        source.AddRange(partitions: 1, count: 3);
        var handler = new HeldHandler();
        MessageFeed feed = NewFeed(source, handler, invokerSwitch);
        using var stop = new CancellationTokenSource();
        Task run = feed.RunAsync(stop.Token);
        // Three dispatched and the loop parked in a fourth receive: the source is empty.
        await Eventually.True(() => handler.Started == 3 && source.ReceiveCalls == 4, "three dispatched, the loop waits for more");

        invokerSwitch.Disable();
        for (long offset = 3; offset < 8; offset++)
        {
            source.Add(0, offset);
        }

        // The waiting receive hands over offset 3, which is held, not dispatched, until the switch is on.
        await Eventually.True(() => feed.IsWaitingForEnable, "the loop waits for the switch");
        Assert.Equal(4, source.ReceiveCalls);
        Assert.Equal(3, feed.Dispatched);

        SucceedAll(handler, 0, 3);
        await Eventually.True(() => feed.Completed == 3, "the work in flight finished while disabled");
        Assert.Equal(0, feed.CreditsInUse);
        Assert.Equal(3, handler.Started);
        Assert.True(feed.IsWaitingForEnable);

        invokerSwitch.Enable();
        await Eventually.True(() => handler.Started == 8, "the held message and the four behind it dispatched");
        SucceedAll(handler, 3, 8);
        await Eventually.True(() => feed.Completed == 8, "all completed");
        stop.Cancel();
        await run;
        AssertQuiet(feed);
        Assert.Equal(0, feed.Skipped);
    }

    [Fact]
    public async Task StoppingWhileDisabled_EndsTheLoop_WithoutDispatchingTheHeldMessage()
    {
        var invokerSwitch = new InvokerSwitch();
        var source = new CountingSource();
        var handler = new HeldHandler();
        var committer = new RecordingCommitter();
        var feed = new MessageFeed(source, committer, handler.HandleAsync, new MessageFeedOptions { MaxPeek = 4, CommitInterval = TimeSpan.FromDays(1), Switch = invokerSwitch }, new FakeTimeProvider());
        using var stop = new CancellationTokenSource();
        Task run = feed.RunAsync(stop.Token);
        source.Add(0, 0);
        await Eventually.True(() => handler.Started == 1 && source.ReceiveCalls == 2, "one dispatched, the loop waits for more");
        handler.Succeed(0, 0);
        await Eventually.True(() => feed.Completed == 1, "the first completed");

        invokerSwitch.Disable();
        source.Add(0, 1);
        await Eventually.True(() => feed.IsWaitingForEnable, "offset 1 held while disabled");
        stop.Cancel();
        await run;

        AssertQuiet(feed);
        Assert.Equal(1, feed.Dispatched);
        // Offset 1 never ran: the commit stops before it, so it is delivered again after a restart.
        Assert.Equal(1, committer.LastCommitOf(0));
    }

    [Fact]
    public async Task Switch_StartsEnabled_IsIdempotent_AndEnableReleasesAWaiter()
    {
        var invokerSwitch = new InvokerSwitch();
        Assert.True(invokerSwitch.IsEnabled);
        Assert.True(invokerSwitch.WaitForEnabledAsync(CancellationToken.None).IsCompletedSuccessfully);

        invokerSwitch.Disable();
        invokerSwitch.Disable();
        ValueTask waiting = invokerSwitch.WaitForEnabledAsync(CancellationToken.None);
        Assert.False(invokerSwitch.IsEnabled);
        Assert.False(waiting.IsCompleted);

        invokerSwitch.Enable();
        invokerSwitch.Enable();
        Assert.True(invokerSwitch.IsEnabled);
        await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static void SucceedAll(HeldHandler handler, long from, long to)
    {
        for (long offset = from; offset < to; offset++)
        {
            handler.Succeed(0, offset);
        }
    }

    private static void AssertQuiet(MessageFeed feed)
    {
        Assert.Equal(0, feed.CreditsInUse);
        Assert.Equal(feed.Dispatched, feed.Completed);
        Assert.All(feed.Partitions, p => Assert.Equal(0, p.InFlight));
        Assert.False(feed.IsWaitingForCredit);
        Assert.False(feed.IsWaitingForEnable);
    }

    private static MessageFeed NewFeed(CountingSource source, HeldHandler handler, InvokerSwitch invokerSwitch) =>
        new(source, new RecordingCommitter(), handler.HandleAsync, new MessageFeedOptions { MaxPeek = 16, CommitInterval = TimeSpan.FromDays(1), Switch = invokerSwitch }, new FakeTimeProvider());
}
