using System.Collections.Concurrent;
using Perf.Invoker.Feed;

namespace Perf.Invoker.Tests.Feed;

[Trait("Category", "Unit")]
public sealed class CreditWindowTests
{
    [Fact]
    public void WaitForFree_WithAFreeCredit_CompletesAtOnce()
    {
        var window = new CreditWindow(2);
        window.Take();

        Assert.True(window.WaitForFreeAsync(CancellationToken.None).IsCompletedSuccessfully);
        Assert.Equal(1, window.InUse);
    }

    [Fact]
    public async Task WaitForFree_WhenFull_CompletesOnTheNextReturn()
    {
        var window = new CreditWindow(1);
        window.Take();

        ValueTask wait = window.WaitForFreeAsync(CancellationToken.None);
        Assert.False(wait.IsCompleted);
        Assert.True(window.IsWaiting);

        window.Return();
        await wait;
        Assert.False(window.IsWaiting);
        Assert.Equal(0, window.InUse);
    }

    [Fact]
    public async Task WaitForFree_WhenFull_IsWokenByCancel()
    {
        var window = new CreditWindow(1);
        window.Take();
        ValueTask wait = window.WaitForFreeAsync(CancellationToken.None);

        window.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await wait);
        Assert.False(window.IsWaiting);
    }

    [Fact]
    public async Task WaitForDrain_CompletesWhenTheLastCreditReturns()
    {
        var window = new CreditWindow(3);
        window.Take();
        window.Take();

        Task drained = window.WaitForDrainAsync();
        window.Return();
        Assert.False(drained.IsCompleted);
        window.Return();

        await drained;
    }

    [Fact]
    public void Return_WithoutTake_Throws_AndLeavesTheCountAtZero()
    {
        var window = new CreditWindow(1);

        Assert.Throws<InvalidOperationException>(window.Return);
        Assert.Equal(0, window.InUse);
    }

    [Fact]
    public void Take_PastTheWindow_Throws_AndLeavesTheCountAtTheWindow()
    {
        var window = new CreditWindow(1);
        window.Take();

        Assert.Throws<InvalidOperationException>(window.Take);
        Assert.Equal(1, window.InUse);
    }

    [Fact]
    public void TakeAndReturn_DoNotAllocate()
    {
        var window = new CreditWindow(4);
        window.Take();
        window.Return();

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            _ = window.WaitForFreeAsync(CancellationToken.None);
            window.Take();
            window.Return();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public async Task AWakeThatLandsOnTheLoopsNextWait_FindsTheWindowFull_SoTheLoopChecksAgain()
    {
        var window = new CreditWindow(2);
        window.Take();
        window.Take();
        ValueTask first = window.WaitForFreeAsync(CancellationToken.None);

        // Completion A gives its credit back but is delayed before its wake; completion B returns whole and wakes the loop.
        int inUseAfterA = window.Free();
        window.Return();
        await first;

        // The loop uses both free credits and sleeps again on a full window; A's wake lands on that later wait.
        window.Take();
        window.Take();
        ValueTask second = window.WaitForFreeAsync(CancellationToken.None);
        Assert.False(second.IsCompleted);
        window.Wake(inUseAfterA);
        await second;

        Assert.False(window.HasFree);
        Assert.Throws<InvalidOperationException>(window.Take);
    }

    [Fact]
    public async Task ALoopThatRechecksAfterEveryWake_NeverTakesBeyondTheWindow_WhileOthersReturnConcurrently()
    {
        // The feed's loop against completions on other threads. A Return whose wake lands on a later wait (its swap of the
        // waiter flag delayed past the loop's next arm) wakes the loop with the window full; the re-check sends it back
        // to sleep instead of into Take, which would refuse a credit beyond the window.
        const int Takes = 200_000;
        var window = new CreditWindow(4);
        var held = new ConcurrentQueue<int>();
        int returned = 0;

        Task Returner() => Task.Run(() =>
        {
            while (Volatile.Read(ref returned) < Takes)
            {
                if (held.TryDequeue(out _))
                {
                    window.Return();
                    Interlocked.Increment(ref returned);
                }
                else
                {
                    Thread.Yield();
                }
            }
        });

        Task[] returners = [Returner(), Returner()];
        for (int i = 0; i < Takes; i++)
        {
            do
            {
                await window.WaitForFreeAsync(CancellationToken.None);
            }
            while (!window.HasFree);

            window.Take();
            held.Enqueue(i);
        }

        await Task.WhenAll(returners);
        Assert.Equal(0, window.InUse);
        Assert.False(window.IsWaiting);
    }
}
