using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Perf.Invoker.Concurrency;

/// <summary>
/// The activation slots of one container: how many activations it may run at once (its action's
/// <c>limits.concurrency</c>) and how many it runs now. Both numbers live in one 64-bit word that changes
/// only by compare-and-swap, so taking and giving back a slot takes no lock and allocates nothing
/// (docs/architecture.md §1 "slots"). Because capacity and in-flight change together in one atomic step, a resize can
/// never interleave with an acquire into more activations in flight than the capacity allows
/// (docs/architecture.md §3 invariant 4) — the reason Knative's activator packs its breaker the same way.
/// </summary>
/// <remarks>
/// <para>Every successful change reports the scheduling transition it caused (<see cref="SlotTransitions"/>),
/// and since each change is one CAS, exactly one caller sees each transition: the pool acts on the ones it needs
/// (idle, drained) with no lock, and finds a free slot by trying this CAS on each warm container of the action
/// (docs/architecture.md §1 hot path).</para>
/// <para>Shrinking below the number in flight revokes nothing: held slots stay valid and are released as
/// usual, and new acquisitions fail until in-flight is below the new capacity. <see cref="Close"/> is the
/// terminal shrink to zero for a container that must take no more work but lets what runs finish
/// (docs/openwhisk.md §6 run failure).</para>
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class SlotAllocator
{
    private const long InFlightMask = 0xFFFF_FFFF;
    private const int CapacityShift = 32;
    private const long CapacityMask = 0x7FFF_FFFF;
    private const long ClosedBit = long.MinValue;

    /// <summary>
    /// The slot word (<c>_padded.State</c>): bits 0–31 in-flight, bits 32–62 capacity, bit 63 closed. In-flight only
    /// grows while below capacity, so it exceeds capacity only after a shrink; closed implies capacity 0 and is final.
    /// </summary>
    private PaddedWord _padded;

    /// <param name="capacity">How many slots may be held at once: the action's <c>limits.concurrency</c>.</param>
    public SlotAllocator(int capacity)
    {
        if (capacity < 0)
        {
            SlotAllocatorUsageErrors.ThrowCapacityOutOfRange(capacity);
        }

        _padded.State = (long)capacity << CapacityShift;
        AssertInvariants(_padded.State);
    }

    /// <summary>Slots held now. It may exceed <see cref="Capacity"/> after a shrink, until enough are released.</summary>
    public int InFlight => InFlightOf(Volatile.Read(ref _padded.State));

    /// <summary>How many slots may be held at once; 0 once closed.</summary>
    public int Capacity => CapacityOf(Volatile.Read(ref _padded.State));

    /// <summary>No slot is free (busy in OpenWhisk terms, docs/openwhisk.md §6); always true once closed.</summary>
    public bool IsFull => IsFullState(Volatile.Read(ref _padded.State));

    /// <summary><see cref="Close"/> was called: no slot will be handed out again.</summary>
    public bool IsClosed => IsClosedState(Volatile.Read(ref _padded.State));

    /// <summary>Takes a slot if one is free. Each success must be matched by exactly one <see cref="Release"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryAcquire() => TryAcquire(out _);

    /// <summary>Takes a slot if one is free, and says whether it was the last free one (free → busy).</summary>
    /// <param name="becameFull">True for exactly one acquisition per free → busy transition.</param>
    public bool TryAcquire(out bool becameFull)
    {
        long state = Volatile.Read(ref _padded.State);
        while (InFlightOf(state) < CapacityOf(state))
        {
            // +1 changes only the in-flight bits: in-flight < capacity ≤ int.MaxValue, so nothing carries.
            long seen = Interlocked.CompareExchange(ref _padded.State, state + 1, state);
            if (seen == state)
            {
                AssertInvariants(state + 1);
                becameFull = InFlightOf(state) + 1 == CapacityOf(state);
                return true;
            }

            state = seen;
        }

        becameFull = false;
        return false;
    }

    /// <summary>
    /// Gives back one slot taken by <see cref="TryAcquire()"/>. Reports <see cref="SlotTransitions.BecameFree"/> on
    /// the first completion of a busy container (docs/openwhisk.md §6), <see cref="SlotTransitions.BecameIdle"/> when
    /// nothing is left in flight, and <see cref="SlotTransitions.Drained"/> for the last release after <see cref="Close"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Nothing is in flight: more releases than acquisitions.</exception>
    public SlotTransitions Release()
    {
        long state = Volatile.Read(ref _padded.State);
        while (true)
        {
            // A release with nothing in flight is a caller's double release; refuse it rather than let the count go
            // negative, which would borrow from the capacity bits and hand out slots that do not exist.
            if (InFlightOf(state) == 0)
            {
                SlotAllocatorUsageErrors.ThrowReleaseWithoutAcquire();
            }

            long seen = Interlocked.CompareExchange(ref _padded.State, state - 1, state);
            if (seen == state)
            {
                AssertInvariants(state - 1);
                return Transitions(state, state - 1);
            }

            state = seen;
        }
    }

    /// <summary>
    /// Sets the capacity (the action's concurrency limit changed). Held slots are never revoked: below the number
    /// in flight, new acquisitions just fail until enough are released. Does nothing once closed.
    /// </summary>
    /// <returns><see cref="SlotTransitions.BecameFull"/> or <see cref="SlotTransitions.BecameFree"/> when the resize flipped busy/free.</returns>
    public SlotTransitions Resize(int capacity)
    {
        if (capacity < 0)
        {
            SlotAllocatorUsageErrors.ThrowCapacityOutOfRange(capacity);
        }

        long state = Volatile.Read(ref _padded.State);
        while (!IsClosedState(state))
        {
            long next = (state & InFlightMask) | ((long)capacity << CapacityShift);
            long seen = Interlocked.CompareExchange(ref _padded.State, next, state);
            if (seen == state)
            {
                AssertInvariants(next);
                return Transitions(state, next);
            }

            state = seen;
        }

        // Closed is final: a late resize (an action update racing a run failure) must not reopen the container.
        return SlotTransitions.None;
    }

    /// <summary>
    /// Stops handing out slots for good while the held ones finish (docs/openwhisk.md §6: a run failure stops new work,
    /// lets the others finish, then removes the container). Reports <see cref="SlotTransitions.Drained"/> here when
    /// nothing was in flight, otherwise the last <see cref="Release"/> reports it; a second Close reports nothing.
    /// </summary>
    public SlotTransitions Close()
    {
        long state = Volatile.Read(ref _padded.State);
        while (!IsClosedState(state))
        {
            long next = ClosedBit | (state & InFlightMask);
            long seen = Interlocked.CompareExchange(ref _padded.State, next, state);
            if (seen == state)
            {
                AssertInvariants(next);
                return Transitions(state, next);
            }

            state = seen;
        }

        return SlotTransitions.None;
    }

    public override string ToString()
    {
        long state = Volatile.Read(ref _padded.State);
        return IsClosedState(state)
            ? $"{InFlightOf(state)} in flight, closed"
            : $"{InFlightOf(state)}/{CapacityOf(state)} in flight";
    }

    private static int InFlightOf(long state) => (int)(state & InFlightMask);

    private static int CapacityOf(long state) => (int)((state >> CapacityShift) & CapacityMask);

    private static bool IsClosedState(long state) => state < 0;

    private static bool IsFullState(long state) => InFlightOf(state) >= CapacityOf(state);

    /// <summary>The transitions of one successful CAS from <paramref name="before"/> to <paramref name="after"/>.</summary>
    private static SlotTransitions Transitions(long before, long after)
    {
        SlotTransitions transitions = SlotTransitions.None;
        bool wasFull = IsFullState(before);
        if (wasFull != IsFullState(after))
        {
            transitions = wasFull ? SlotTransitions.BecameFree : SlotTransitions.BecameFull;
        }

        if (InFlightOf(after) == 0)
        {
            if (InFlightOf(before) != 0)
            {
                transitions |= SlotTransitions.BecameIdle;
            }

            // Drained exactly once: on the CAS that first makes "closed and empty" true.
            if (IsClosedState(after) && (InFlightOf(before) != 0 || !IsClosedState(before)))
            {
                transitions |= SlotTransitions.Drained;
            }
        }

        return transitions;
    }

    [Conditional("DEBUG")]
    private static void AssertInvariants(long state)
    {
        Debug.Assert((state & 0x8000_0000L) == 0, "in-flight stays within int range");
        Debug.Assert(!IsClosedState(state) || CapacityOf(state) == 0, "a closed allocator has capacity 0");
    }

    // Containers and their slot words are allocated side by side, and the pool's threads CAS one container's word
    // while others write the neighbour's. 128 bytes each side (the runtime's padding for ConcurrentQueue's head and
    // tail, which covers adjacent-line prefetch) keep those writes off this word's cache line. A struct, because
    // the runtime honours an explicit Size on structs but not on classes.
    [StructLayout(LayoutKind.Explicit, Size = 2 * PaddingBytes + sizeof(long))]
    private struct PaddedWord
    {
        private const int PaddingBytes = 128;

        [FieldOffset(PaddingBytes)]
        public long State;
    }
}
