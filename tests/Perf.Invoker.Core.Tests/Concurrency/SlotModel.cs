using Perf.Invoker.Concurrency;

namespace Perf.Invoker.Tests.Concurrency;

/// <summary>
/// The sequential specification <see cref="SlotAllocator"/> is checked against: plain fields, one rule per
/// operation, written from docs/architecture.md §3 invariant 4 and docs/openwhisk.md §6 rather than from the packed word.
/// </summary>
internal sealed class SlotModel(int capacity)
{
    public int Capacity { get; private set; } = capacity;

    public int InFlight { get; private set; }

    public bool IsClosed { get; private set; }

    /// <summary>Busy in OpenWhisk terms: every slot taken (a closed container has none to take).</summary>
    public bool IsFull => InFlight >= Capacity;

    public bool TryAcquire(out bool becameFull)
    {
        if (IsClosed || InFlight >= Capacity)
        {
            becameFull = false;
            return false;
        }

        InFlight++;
        becameFull = InFlight == Capacity;
        return true;
    }

    /// <summary>Null when nothing is in flight: the release is refused and nothing changes.</summary>
    public SlotTransitions? Release()
    {
        if (InFlight == 0)
        {
            return null;
        }

        bool wasFull = IsFull;
        InFlight--;
        SlotTransitions transitions = Flip(wasFull);
        if (InFlight == 0)
        {
            transitions |= SlotTransitions.BecameIdle;
            if (IsClosed)
            {
                transitions |= SlotTransitions.Drained;
            }
        }

        return transitions;
    }

    public SlotTransitions Resize(int capacity)
    {
        if (IsClosed)
        {
            return SlotTransitions.None;
        }

        bool wasFull = IsFull;
        Capacity = capacity;
        return Flip(wasFull);
    }

    public SlotTransitions Close()
    {
        if (IsClosed)
        {
            return SlotTransitions.None;
        }

        bool wasFull = IsFull;
        IsClosed = true;
        Capacity = 0;
        SlotTransitions transitions = Flip(wasFull);
        return InFlight == 0 ? transitions | SlotTransitions.Drained : transitions;
    }

    private SlotTransitions Flip(bool wasFull) => (wasFull, IsFull) switch
    {
        (false, true) => SlotTransitions.BecameFull,
        (true, false) => SlotTransitions.BecameFree,
        _ => SlotTransitions.None,
    };

    public override string ToString() => IsClosed ? $"{InFlight} in flight, closed" : $"{InFlight}/{Capacity} in flight";
}
