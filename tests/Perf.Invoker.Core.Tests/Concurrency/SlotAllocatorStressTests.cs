using System.Collections.Concurrent;
using Perf.Invoker.Concurrency;

namespace Perf.Invoker.Tests.Concurrency;

/// <summary>
/// Many threads on one allocator, checking docs/architecture.md §3 invariant 4 on every acquisition: the number of threads
/// holding a slot never exceeds the capacity. Iteration counts are fixed, nothing is timed and every wait is
/// bounded by the workers finishing, so a correct allocator passes on any machine whatever the interleaving; a
/// broken one fails (or at worst passes) when the race does not show up, but never hangs.
/// </summary>
[Trait("Category", "Unit")]
public sealed class SlotAllocatorStressTests
{
    // More workers than cores and than slots: refusals, preemption while holding a slot, and CAS retries all happen.
    private const int Workers = 4;
    private const int AttemptsPerWorker = 200_000;

    [Fact]
    public void ManyThreads_AtAFixedCapacity_NeverHoldMoreSlotsThanTheCapacity()
    {
        const int capacity = 3;
        var slots = new SlotAllocator(capacity);
        var run = new Run();

        RunConcurrently(Workers, _ => Work(slots, run, boundOf: () => capacity));

        Assert.Equal(0, run.Violations);
        Assert.InRange(run.MaxHolders, 1, capacity);
        Assert.Equal(Workers * AttemptsPerWorker, run.Attempts);
        Assert.Equal(0, slots.InFlight);
        // Every free → busy was followed by exactly one busy → free: the pool's free index would be balanced.
        Assert.Equal(run.BecameFull, run.BecameFree);
    }

    [Fact]
    public void ManyThreads_WithConcurrentResizes_NeverHoldMoreSlotsThanTheCapacityInForce()
    {
        const int maxCapacity = 6;
        var slots = new SlotAllocator(3);
        var run = new Run();
        // The bound the workers check against, with a version in the high half so that a worker can tell whether it
        // changed while it acquired. It never drops below in-flight: the resizer raises it before growing, and lowers
        // it after shrinking only once in-flight has drained to the new capacity.
        long bound = 3;
        int resizes = 0;

        RunConcurrently(Workers + 1, thread =>
        {
            if (thread < Workers)
            {
                Work(slots, run, boundOf: () => Volatile.Read(ref bound));
                return;
            }

            var random = new Random(20240601);
            while (Volatile.Read(ref run.WorkersRunning) > 0)
            {
                int capacity = random.Next(0, maxCapacity + 1);
                if (capacity >= slots.Capacity)
                {
                    Publish(ref bound, capacity);
                    run.Count(slots.Resize(capacity));
                }
                else
                {
                    run.Count(slots.Resize(capacity));
                    // Bounded by the workers: if they are done and in-flight is still above the capacity, the count
                    // has drifted, and the final asserts report it rather than this loop hanging.
                    var wait = default(SpinWait);
                    while (slots.InFlight > capacity && Volatile.Read(ref run.WorkersRunning) > 0)
                    {
                        wait.SpinOnce();
                    }

                    Publish(ref bound, capacity);
                }

                resizes++;
                Thread.SpinWait(20);
            }
        });

        Assert.Equal(0, run.Violations);
        Assert.True(run.Checked > 0, "no acquisition ran under a stable bound");
        Assert.True(resizes > 0, "the resizer never ran");
        Assert.Equal(0, slots.InFlight);
        // Started free (0/3); busy now only if the last resize was to 0.
        Assert.Equal(slots.IsFull ? 1 : 0, run.BecameFull - run.BecameFree);

        static void Publish(ref long bound, int capacity) =>
            Volatile.Write(ref bound, (((Volatile.Read(ref bound) >> 32) + 1) << 32) | (uint)capacity);
    }

    [Fact]
    public void ManyThreads_WithAConcurrentClose_GetNoSlotAfterTheClose_AndExactlyOneCallerSeesDrained()
    {
        const int capacity = 3;
        var slots = new SlotAllocator(capacity);
        var run = new Run();
        int drainedByClose = 0;

        RunConcurrently(Workers + 1, thread =>
        {
            if (thread < Workers)
            {
                Work(slots, run, boundOf: () => capacity);
                return;
            }

            // Close a quarter of the way through, while workers hold slots (docs/openwhisk.md §6 run failure).
            var wait = default(SpinWait);
            while (Volatile.Read(ref run.Attempts) < Workers * AttemptsPerWorker / 4 && Volatile.Read(ref run.WorkersRunning) > 0)
            {
                wait.SpinOnce();
            }

            drainedByClose = (slots.Close() & SlotTransitions.Drained) != 0 ? 1 : 0;
            Volatile.Write(ref run.Closed, 1);
        });

        Assert.Equal(0, run.AcquiredAfterClose);
        Assert.Equal(0, run.Violations);
        Assert.Equal(1, run.Drained + drainedByClose);
        Assert.True(slots.IsClosed);
        Assert.Equal(0, slots.InFlight);
        Assert.False(slots.TryAcquire());
    }

    /// <summary>
    /// One worker: acquire, count itself among the holders, check the count against the bound, hold briefly, stop
    /// counting itself, release. <paramref name="boundOf"/> returns the capacity in force, with an optional version
    /// in its high 32 bits; the check runs only when the bound was the same before the acquire and after counting.
    /// </summary>
    private static void Work(SlotAllocator slots, Run run, Func<long> boundOf)
    {
        try
        {
            for (int i = 0; i < AttemptsPerWorker; i++)
            {
                Interlocked.Increment(ref run.Attempts);
                bool closedBefore = Volatile.Read(ref run.Closed) == 1;
                long before = boundOf();
                if (!slots.TryAcquire(out bool becameFull))
                {
                    Thread.SpinWait(4);
                    continue;
                }

                if (closedBefore)
                {
                    Interlocked.Increment(ref run.AcquiredAfterClose);
                }

                run.Count(becameFull ? SlotTransitions.BecameFull : SlotTransitions.None);
                int holders = Interlocked.Increment(ref run.Holders);
                if (boundOf() == before)
                {
                    Interlocked.Increment(ref run.Checked);
                    if (holders > (int)before)
                    {
                        Interlocked.Increment(ref run.Violations);
                    }
                }

                InterlockedMax(ref run.MaxHolders, holders);
                Thread.SpinWait(i & 15);
                Interlocked.Decrement(ref run.Holders);
                run.Count(slots.Release());
            }
        }
        finally
        {
            Interlocked.Decrement(ref run.WorkersRunning);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current = Volatile.Read(ref target);
        while (value > current)
        {
            int seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>Runs <paramref name="body"/> on dedicated threads released together; rethrows what any of them threw.</summary>
    private static void RunConcurrently(int threads, Action<int> body)
    {
        var failures = new ConcurrentQueue<Exception>();
        using var start = new Barrier(threads);
        var running = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int index = t;
            running[t] = new Thread(() =>
            {
                try
                {
                    start.SignalAndWait();
                    body(index);
                }
                catch (Exception e)
                {
                    failures.Enqueue(e);
                }
            })
            { IsBackground = true, Name = $"slots-stress-{t}" };
            running[t].Start();
        }

        foreach (Thread thread in running)
        {
            thread.Join();
        }

        if (!failures.IsEmpty)
        {
            throw new AggregateException(failures);
        }
    }

    /// <summary>Shared counters of one stress run, updated with Interlocked by every thread.</summary>
    private sealed class Run
    {
        public int WorkersRunning = Workers;
        public int Attempts;
        public int Closed;
        public int Holders;
        public int MaxHolders;
        public int Checked;
        public int Violations;
        public int AcquiredAfterClose;
        public int BecameFull;
        public int BecameFree;
        public int Drained;

        public void Count(SlotTransitions transitions)
        {
            if ((transitions & SlotTransitions.BecameFull) != 0)
            {
                Interlocked.Increment(ref BecameFull);
            }

            if ((transitions & SlotTransitions.BecameFree) != 0)
            {
                Interlocked.Increment(ref BecameFree);
            }

            if ((transitions & SlotTransitions.Drained) != 0)
            {
                Interlocked.Increment(ref Drained);
            }
        }
    }
}
