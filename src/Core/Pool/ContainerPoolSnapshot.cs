namespace Perf.Invoker.Pool;

/// <summary>
/// The pool's containers counted by what they are doing, with their slots and memory, all taken under the pool lock
/// so that they agree with each other (for metrics, docs/metrics.md).
/// </summary>
/// <param name="Prewarmed">Stem cells waiting for an action (docs/openwhisk.md §6).</param>
/// <param name="Initializing">Serving an action but not initialized yet: starting, or in its /init.</param>
/// <param name="Idle">Initialized, warm, nothing in flight.</param>
/// <param name="Running">Initialized with at least one activation in flight.</param>
/// <param name="Paused">Idle past the pause grace.</param>
/// <param name="Draining">Failed or evicted: lets its activations finish, takes no new ones.</param>
/// <param name="Removing">Taken out of service, being destroyed; its memory is freed when it is gone.</param>
/// <param name="SlotsInUse">Slots held across all containers: activations between their container choice and completion.</param>
/// <param name="SlotCapacity">Slots held or free to take now; paused, draining and prewarmed containers offer none.</param>
/// <param name="MemoryInUseMegabytes">Memory of every container not yet destroyed; at most the pool's user memory.</param>
public readonly record struct ContainerPoolSnapshot(
    int Prewarmed,
    int Initializing,
    int Idle,
    int Running,
    int Paused,
    int Draining,
    int Removing,
    int SlotsInUse,
    int SlotCapacity,
    long MemoryInUseMegabytes);
