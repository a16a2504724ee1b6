using System.Diagnostics;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// One namespace's throttle state: activations in flight and this minute's invocations and fires, each one word
/// changed by compare-and-swap, so that a check takes no lock and allocates nothing.
/// </summary>
internal sealed class NamespaceCounters(NamespaceLimits limits)
{
    private int _inFlight;

    /// <summary>The minute (since the epoch) in the high 32 bits, the count within it in the low 32.</summary>
    private long _invocations;

    private long _fires;

    public NamespaceLimits Limits { get; } = limits;

    /// <summary>Activations admitted and not yet completed: the request being checked, the queue, the containers.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>
    /// OpenWhisk's ConcurrentRateLimit: a slot while fewer than <see cref="NamespaceLimits.ConcurrentInvocations"/> are in
    /// flight ("must have slack for the current activation request"). <paramref name="count"/> is the number in flight
    /// before this one, what the refusal quotes.
    /// </summary>
    public bool TryAcquire(out int count)
    {
        int current = Volatile.Read(ref _inFlight);
        while (true)
        {
            count = current;
            if (current >= Limits.ConcurrentInvocations)
            {
                return false;
            }

            int seen = Interlocked.CompareExchange(ref _inFlight, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }
    }

    /// <summary>Gives back a slot of <see cref="TryAcquire"/>: the request was refused later, or its activation completed.</summary>
    public void Release()
    {
        int left = Interlocked.Decrement(ref _inFlight);
        Debug.Assert(left >= 0, "a slot is released once");
    }

    /// <summary>OpenWhisk's RateThrottler for invocations: charges this one, and returns the minute's count with it.</summary>
    public int ChargeInvocation(long minute) => Charge(ref _invocations, minute);

    /// <summary>The same for trigger fires (<see cref="NamespaceLimits.FiresPerMinute"/>).</summary>
    public int ChargeFire(long minute) => Charge(ref _fires, minute);

    /// <summary>
    /// Every check is charged, a refused one too, as OpenWhisk's RateInfo does: a namespace over its rate stays refused
    /// until the minute turns (the window is the clock's minute, not a sliding one).
    /// </summary>
    private static int Charge(ref long window, long minute)
    {
        long current = Volatile.Read(ref window);
        while (true)
        {
            long next = (current >> 32) == minute ? current + 1 : (minute << 32) | 1;
            long seen = Interlocked.CompareExchange(ref window, next, current);
            if (seen == current)
            {
                return (int)(next & uint.MaxValue);
            }

            current = seen;
        }
    }
}
