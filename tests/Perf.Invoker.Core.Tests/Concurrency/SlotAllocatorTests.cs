using Perf.Invoker.Concurrency;

namespace Perf.Invoker.Tests.Concurrency;

[Trait("Category", "Unit")]
public sealed class SlotAllocatorTests
{
    [Fact]
    public void NewAllocator_HasNothingInFlight_AndTheGivenCapacity()
    {
        var slots = new SlotAllocator(3);

        Assert.Equal(0, slots.InFlight);
        Assert.Equal(3, slots.Capacity);
        Assert.False(slots.IsFull);
        Assert.False(slots.IsClosed);
    }

    [Fact]
    public void NewAllocator_WithNegativeCapacity_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new SlotAllocator(-1));

    [Fact]
    public void TryAcquire_UpToCapacity_Succeeds_ThenFailsWithoutChangingTheCount()
    {
        var slots = new SlotAllocator(2);

        Assert.True(slots.TryAcquire());
        Assert.True(slots.TryAcquire());
        Assert.False(slots.TryAcquire());
        Assert.Equal(2, slots.InFlight);
        Assert.True(slots.IsFull);
    }

    [Fact]
    public void TryAcquire_TakingTheLastFreeSlot_IsTheOnlyOneThatReportsBecameFull()
    {
        var slots = new SlotAllocator(3);

        Assert.True(slots.TryAcquire(out bool first));
        Assert.True(slots.TryAcquire(out bool second));
        Assert.True(slots.TryAcquire(out bool third));
        Assert.False(slots.TryAcquire(out bool refused));

        Assert.Equal([false, false, true, false], new[] { first, second, third, refused });
    }

    [Fact]
    public void TryAcquire_OnZeroCapacity_Fails()
    {
        var slots = new SlotAllocator(0);

        Assert.True(slots.IsFull);
        Assert.False(slots.TryAcquire());
    }

    [Fact]
    public void Release_OfABusyContainer_ReportsBecameFreeOnTheFirstCompletionOnly()
    {
        // docs/openwhisk.md §6: busy when all slots are taken, free again on the first completion.
        var slots = new SlotAllocator(3);
        for (int i = 0; i < 3; i++)
        {
            Assert.True(slots.TryAcquire());
        }

        Assert.Equal(SlotTransitions.BecameFree, slots.Release());
        Assert.Equal(SlotTransitions.None, slots.Release());
        Assert.Equal(SlotTransitions.BecameIdle, slots.Release());
    }

    [Fact]
    public void Release_OfTheOnlySlotOfAConcurrencyOneContainer_ReportsFreeAndIdleTogether()
    {
        var slots = new SlotAllocator(1);
        Assert.True(slots.TryAcquire(out bool becameFull));
        Assert.True(becameFull);

        Assert.Equal(SlotTransitions.BecameFree | SlotTransitions.BecameIdle, slots.Release());
        Assert.Equal(0, slots.InFlight);
    }

    [Fact]
    public void Release_WithNothingInFlight_ThrowsAndTheCountStaysAtZero()
    {
        var slots = new SlotAllocator(2);

        Assert.Throws<InvalidOperationException>(() => slots.Release());
        Assert.Equal(0, slots.InFlight);
        Assert.Equal(2, slots.Capacity);
        Assert.True(slots.TryAcquire());
        Assert.True(slots.TryAcquire());
        Assert.False(slots.TryAcquire());
    }

    [Fact]
    public void Release_MoreTimesThanAcquired_ThrowsOnTheExtraReleaseOnly()
    {
        var slots = new SlotAllocator(4);
        Assert.True(slots.TryAcquire());
        Assert.True(slots.TryAcquire());

        slots.Release();
        slots.Release();
        Assert.Throws<InvalidOperationException>(() => slots.Release());
        Assert.Equal("0/4 in flight", slots.ToString());
    }

    [Fact]
    public void Resize_BelowInFlight_KeepsHeldSlots_AndRefusesNewOnesUntilInFlightIsBelowTheNewCapacity()
    {
        var slots = new SlotAllocator(4);
        for (int i = 0; i < 4; i++)
        {
            Assert.True(slots.TryAcquire());
        }

        Assert.Equal(SlotTransitions.None, slots.Resize(2));
        Assert.Equal(4, slots.InFlight);
        Assert.Equal(2, slots.Capacity);

        Assert.Equal(SlotTransitions.None, slots.Release());
        Assert.False(slots.TryAcquire());
        Assert.Equal(SlotTransitions.None, slots.Release());
        Assert.False(slots.TryAcquire());
        Assert.Equal(SlotTransitions.BecameFree, slots.Release());
        Assert.True(slots.TryAcquire(out bool becameFull));
        Assert.True(becameFull);
        Assert.Equal(2, slots.InFlight);
    }

    [Fact]
    public void Resize_OfAFreeContainerToAtMostInFlight_ReportsBecameFull()
    {
        var slots = new SlotAllocator(4);
        Assert.True(slots.TryAcquire());
        Assert.True(slots.TryAcquire());

        Assert.Equal(SlotTransitions.BecameFull, slots.Resize(2));
        Assert.False(slots.TryAcquire());
    }

    [Fact]
    public void Resize_OfABusyContainerAboveInFlight_ReportsBecameFree_AndHandsOutTheNewSlots()
    {
        var slots = new SlotAllocator(1);
        Assert.True(slots.TryAcquire());

        Assert.Equal(SlotTransitions.BecameFree, slots.Resize(3));
        Assert.True(slots.TryAcquire());
        Assert.True(slots.TryAcquire(out bool becameFull));
        Assert.True(becameFull);
    }

    [Fact]
    public void Resize_ToNegativeCapacity_ThrowsAndChangesNothing()
    {
        var slots = new SlotAllocator(2);

        Assert.Throws<ArgumentOutOfRangeException>(() => slots.Resize(-1));
        Assert.Equal(2, slots.Capacity);
    }

    [Fact]
    public void Resize_ToIntMaxValue_KeepsInFlightAndIsNotMistakenForClosed()
    {
        var slots = new SlotAllocator(1);
        Assert.True(slots.TryAcquire());

        Assert.Equal(SlotTransitions.BecameFree, slots.Resize(int.MaxValue));

        Assert.Equal(int.MaxValue, slots.Capacity);
        Assert.Equal(1, slots.InFlight);
        Assert.False(slots.IsClosed);
        Assert.True(slots.TryAcquire());
        Assert.Equal(2, slots.InFlight);
    }

    [Fact]
    public void Close_WithNothingInFlight_ReportsDrainedAtOnce()
    {
        var slots = new SlotAllocator(2);

        Assert.Equal(SlotTransitions.BecameFull | SlotTransitions.Drained, slots.Close());
        Assert.True(slots.IsClosed);
        Assert.True(slots.IsFull);
        Assert.Equal(0, slots.Capacity);
        Assert.False(slots.TryAcquire());
    }

    [Fact]
    public void Close_WithSlotsInFlight_RefusesNewWork_AndOnlyTheLastReleaseReportsDrained()
    {
        // docs/openwhisk.md §6 run failure: stop sending work, let the others finish, then remove.
        var slots = new SlotAllocator(3);
        Assert.True(slots.TryAcquire());
        Assert.True(slots.TryAcquire());

        Assert.Equal(SlotTransitions.BecameFull, slots.Close());
        Assert.False(slots.TryAcquire());
        Assert.Equal(2, slots.InFlight);

        Assert.Equal(SlotTransitions.None, slots.Release());
        Assert.Equal(SlotTransitions.BecameIdle | SlotTransitions.Drained, slots.Release());
    }

    [Fact]
    public void Close_OfABusyContainer_ReportsNoBusyTransition_AndItsLastReleaseNeverReportsFree()
    {
        var slots = new SlotAllocator(1);
        Assert.True(slots.TryAcquire());

        Assert.Equal(SlotTransitions.None, slots.Close());
        Assert.Equal(SlotTransitions.BecameIdle | SlotTransitions.Drained, slots.Release());
    }

    [Fact]
    public void Close_Twice_ReportsNothingTheSecondTime()
    {
        var slots = new SlotAllocator(2);

        Assert.NotEqual(SlotTransitions.None, slots.Close());
        Assert.Equal(SlotTransitions.None, slots.Close());
    }

    [Fact]
    public void Resize_AfterClose_DoesNotReopenTheContainer()
    {
        var slots = new SlotAllocator(2);
        slots.Close();

        Assert.Equal(SlotTransitions.None, slots.Resize(5));
        Assert.Equal(0, slots.Capacity);
        Assert.True(slots.IsClosed);
        Assert.False(slots.TryAcquire());
    }

    [Fact]
    public void TryAcquireAndRelease_DoNotAllocate()
    {
        var slots = new SlotAllocator(4);
        Churn(slots); // JIT the paths first; tiering must not count as the allocator's allocation.

        long before = GC.GetAllocatedBytesForCurrentThread();
        Churn(slots);
        long after = GC.GetAllocatedBytesForCurrentThread();

        Assert.Equal(0, after - before);

        static void Churn(SlotAllocator slots)
        {
            for (int i = 0; i < 1000; i++)
            {
                slots.TryAcquire(out _);
                slots.TryAcquire();
                slots.Release();
                slots.Release();
            }
        }
    }

    [Fact]
    public void Allocator_IsPaddedSoThatItsWordSharesNoCacheLineWithNeighbours()
    {
        // 128 bytes either side of the 8-byte word; catches a layout change that silently drops the padding.
        long before = GC.GetAllocatedBytesForCurrentThread();
        var slots = new SlotAllocator(1);
        long size = GC.GetAllocatedBytesForCurrentThread() - before;

        GC.KeepAlive(slots);
        Assert.True(size >= 128 + 8 + 128, $"SlotAllocator takes {size} bytes");
    }
}
