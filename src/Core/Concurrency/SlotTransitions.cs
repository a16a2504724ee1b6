namespace Perf.Invoker.Concurrency;

/// <summary>
/// What one successful change of a <see cref="SlotAllocator"/> did to the container's scheduling state.
/// Each change is a single compare-and-swap, so exactly one caller sees each transition and, in the
/// allocator's own order, BecameFull and BecameFree alternate: the pool can keep its index of warm
/// containers with a free slot up to date from these flags without a lock.
/// </summary>
/// <remarks>
/// Callers act on a transition after its CAS, so two threads can apply theirs to an index in the opposite
/// order (a BecameFree added before the BecameFull that preceded it is removed). Treat such an index as a
/// hint that <see cref="SlotAllocator.TryAcquire()"/> confirms, and re-check <see cref="SlotAllocator.IsFull"/>
/// after taking a container out of it.
/// </remarks>
[Flags]
public enum SlotTransitions : byte
{
    /// <summary>The change left the free/busy and idle state as it was.</summary>
    None = 0,

    /// <summary>The container had a free slot before and has none now: free → busy (docs/openwhisk.md §6).</summary>
    BecameFull = 1,

    /// <summary>The container had no free slot before and has one now: busy → free on the first completion (docs/openwhisk.md §6).</summary>
    BecameFree = 2,

    /// <summary>In-flight dropped to zero: the container is idle (pause and eviction candidates, docs/openwhisk.md §6).</summary>
    BecameIdle = 4,

    /// <summary>
    /// The allocator is closed and nothing is in flight any more: the container can be removed. Reported once,
    /// either by <see cref="SlotAllocator.Close"/> (when nothing was in flight) or by the last <see cref="SlotAllocator.Release"/>.
    /// </summary>
    Drained = 8,
}
