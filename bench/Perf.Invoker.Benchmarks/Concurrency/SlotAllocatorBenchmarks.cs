using System.Threading.RateLimiting;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Perf.Invoker.Concurrency;

namespace Perf.Invoker.Benchmarks.Concurrency;

/// <summary>
/// One acquire + release pair of a container slot: <see cref="SlotAllocator"/> against the two limiters a user
/// would pick instead (docs/architecture.md §4), on one thread and on two threads sharing one limiter (the pool's hot path
/// when two activations for the same warm container arrive at once). Capacity is far above the number of threads,
/// so every acquisition succeeds and each pair measures the uncontended or contended success path.
/// </summary>
/// <remarks>
/// An operation is one acquire + release pair. The two-thread benchmarks run <see cref="OpsPerThread"/> pairs on
/// the benchmark thread and as many on a helper thread at the same time, and count both
/// (<c>OperationsPerInvoke = 2 × OpsPerThread</c>), so their Mean is wall time per pair across both threads:
/// operations per second compare directly with the one-thread rows.
/// Not sealed: BenchmarkDotNet's toolchains emit a type that derives from the benchmark class.
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class SlotAllocatorBenchmarks
{
    // Long enough that waking the helper thread (tens of µs) is noise next to the loop, short enough for --smoke.
    private const int OpsPerThread = 1 << 18;
    private const int Capacity = 64;

    private SlotAllocator _slots = null!;
    private SemaphoreSlim _semaphore = null!;
    private ConcurrencyLimiter _limiter = null!;

    private Thread _helper = null!;
    private Barrier _start = null!;
    private Barrier _done = null!;
    private Loop _helperLoop;
    private int _helperResult;
    private int _arrived;

    private enum Loop { Stop, Slots, Semaphore, Limiter }

    [GlobalSetup]
    public void Setup()
    {
        _slots = new SlotAllocator(Capacity);
        _semaphore = new SemaphoreSlim(Capacity, Capacity);
        _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = Capacity, QueueLimit = 0 });
        _start = new Barrier(2);
        _done = new Barrier(2);
        _helper = new Thread(HelperMain) { IsBackground = true, Name = "bench-second-thread" };
        _helper.Start();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _helperLoop = Loop.Stop;
        _start.SignalAndWait();
        _helper.Join();
        _start.Dispose();
        _done.Dispose();
        _semaphore.Dispose();
        _limiter.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = OpsPerThread), BenchmarkCategory("1 thread")]
    public int ConcurrencyLimiter_1Thread() => LimiterLoop();

    [Benchmark(OperationsPerInvoke = OpsPerThread), BenchmarkCategory("1 thread")]
    public int SemaphoreSlim_1Thread() => SemaphoreLoop();

    [Benchmark(OperationsPerInvoke = OpsPerThread), BenchmarkCategory("1 thread")]
    public int SlotAllocator_1Thread() => SlotsLoop();

    [Benchmark(Baseline = true, OperationsPerInvoke = 2 * OpsPerThread), BenchmarkCategory("2 threads")]
    public int ConcurrencyLimiter_2Threads() => OnTwoThreads(Loop.Limiter);

    [Benchmark(OperationsPerInvoke = 2 * OpsPerThread), BenchmarkCategory("2 threads")]
    public int SemaphoreSlim_2Threads() => OnTwoThreads(Loop.Semaphore);

    [Benchmark(OperationsPerInvoke = 2 * OpsPerThread), BenchmarkCategory("2 threads")]
    public int SlotAllocator_2Threads() => OnTwoThreads(Loop.Slots);

    private int SlotsLoop()
    {
        SlotAllocator slots = _slots;
        int acquired = 0;
        for (int i = 0; i < OpsPerThread; i++)
        {
            if (slots.TryAcquire())
            {
                acquired++;
                slots.Release();
            }
        }

        return acquired;
    }

    private int SemaphoreLoop()
    {
        SemaphoreSlim semaphore = _semaphore;
        int acquired = 0;
        for (int i = 0; i < OpsPerThread; i++)
        {
            if (semaphore.Wait(0))
            {
                acquired++;
                semaphore.Release();
            }
        }

        return acquired;
    }

    private int LimiterLoop()
    {
        ConcurrencyLimiter limiter = _limiter;
        int acquired = 0;
        for (int i = 0; i < OpsPerThread; i++)
        {
            using RateLimitLease lease = limiter.AttemptAcquire();
            if (lease.IsAcquired)
            {
                acquired++;
            }
        }

        return acquired;
    }

    private int Run(Loop loop) => loop switch
    {
        Loop.Slots => SlotsLoop(),
        Loop.Semaphore => SemaphoreLoop(),
        Loop.Limiter => LimiterLoop(),
        _ => 0,
    };

    /// <summary>Both threads pass the start barrier, wait for each other on a spin, run the same loop, and meet at the end.</summary>
    private int OnTwoThreads(Loop loop)
    {
        _helperLoop = loop;
        _arrived = 0;
        _start.SignalAndWait();
        WaitForBoth();
        int acquired = Run(loop);
        _done.SignalAndWait();
        return acquired + _helperResult;
    }

    // The barrier wakes the helper from a kernel wait, which can take longer than the whole loop on a busy machine;
    // spinning here until both threads run makes the loops overlap, so the two-thread rows measure contention.
    private void WaitForBoth()
    {
        Interlocked.Increment(ref _arrived);
        while (Volatile.Read(ref _arrived) < 2)
        {
            Thread.SpinWait(1);
        }
    }

    private void HelperMain()
    {
        while (true)
        {
            _start.SignalAndWait();
            Loop loop = _helperLoop;
            if (loop == Loop.Stop)
            {
                return;
            }

            WaitForBoth();
            _helperResult = Run(loop);
            _done.SignalAndWait();
        }
    }
}
