using System.Diagnostics;
using Perf.Invoker.ActionProtocol;
using Perf.Invoker.Concurrency;
using Perf.Invoker.Containers;
using Perf.Invoker.Logs;

namespace Perf.Invoker.Pool;

/// <summary>
/// One container and what the pool needs to run activations in it: its slots (the action's
/// concurrency), its one-time /init, its client and its log collector. An activation holds one slot
/// from the pool's choice to its completion and gives it back exactly once. This file holds its life
/// (state, idle timer, pause and resume, destruction); ContainerProxy.Run.cs runs activations in it.
/// </summary>
public sealed partial class ContainerProxy
{
    private readonly IContainerProxyOwner _owner;

    /// <summary>Guards the lazily made client, log collector and init, the idle timer and the transition chain.</summary>
    private readonly object _gate = new();

    /// <summary>The container; faults with <see cref="ContainerStartException"/> when it could not be started.</summary>
    private readonly Task<IContainer> _started;

    /// <summary>The one /init, started by the first activation (docs/openwhisk.md §5); null until then, never replaced.</summary>
    private Task<ActionResponse>? _init;

    /// <summary>Keep-alive connections to the runtime, as many as the action's concurrency at most; made by the first activation.</summary>
    private ActionClient? _client;

    /// <summary>Attributes every output line to its activation (docs/architecture.md §3 invariant 6); made by the first activation.</summary>
    private ActivationLogCollector? _logs;

    /// <summary>Pause and idle-removal timer, armed while nothing is in flight.</summary>
    private ITimer? _idleTimer;

    /// <summary>
    /// A <see cref="ProxyState"/>. Only Ready offers slots to the warm path, and the pool checks it again after taking
    /// one; Draining and Removed are never left, so a failed container takes no new work (docs/openwhisk.md §6).
    /// </summary>
    private int _state;

    /// <summary>The last pause or resume; the next transition and every /run wait for it.</summary>
    private Task _transition = Task.CompletedTask;

    /// <summary>
    /// A backfilled stem cell's start waits on this besides the activation it follows (ContainerPool.StartAfterAsync): true
    /// once the stem cell is taken (start now), false once it is removed (never start). Null for a container started at once.
    /// </summary>
    private readonly TaskCompletionSource<bool>? _startGate;

    /// <summary>Set when the first activation given this container gives its slot back; backfilled stem cells start then.</summary>
    private readonly TaskCompletionSource _firstActivationDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal ContainerProxy(IContainerProxyOwner owner, long id, PoolKey? key, string kind, int memoryMegabytes, bool concurrent, Task<IContainer> started, TaskCompletionSource<bool>? startGate = null)
    {
        _owner = owner;
        _startGate = startGate;
        Id = id;
        Key = key;
        Kind = kind;
        MemoryMegabytes = memoryMegabytes;
        Concurrent = concurrent;
        _started = started;
        _state = (int)(key is null ? ProxyState.Prewarmed : ProxyState.Ready);
        Slots = new SlotAllocator(key?.Concurrency ?? 1);
        if (key is null)
        {
            // A stem cell takes no activation until it is given an action.
            Slots.Resize(0);
        }
    }

    public long Id { get; }

    /// <summary>
    /// The action and namespace this container serves; null for a stem cell. Set once, at creation or by
    /// <see cref="Specialize"/>, so the container never serves another action or namespace (docs/architecture.md §3 invariant 5).
    /// </summary>
    public PoolKey? Key { get; private set; }

    public string Kind { get; }

    /// <summary>Counted once in the pool's memory in use from creation until destroyed (docs/architecture.md §3 invariant 4).</summary>
    public int MemoryMegabytes { get; }

    /// <summary>The runtime was started to accept overlapping /run requests.</summary>
    public bool Concurrent { get; }

    /// <summary>
    /// One slot per activation in flight; capacity is the action's concurrency while Ready, 0 otherwise, so in flight
    /// never exceeds concurrency (docs/architecture.md §3 invariant 4). Closed for good when the container drains.
    /// </summary>
    public SlotAllocator Slots { get; }

    public ProxyState State => (ProxyState)Volatile.Read(ref _state);

    /// <summary>Pool clock ticks of the last activation's start, for least-recently-used eviction.</summary>
    public long LastUsed { get; private set; }

    internal bool IsStarted => _started.IsCompletedSuccessfully;

    internal bool IsInitialized => _init is { IsCompletedSuccessfully: true } init && init.Result.IsSuccess;

    /// <summary>The container, once started (for tests and diagnostics).</summary>
    public IContainer? Container => _started.IsCompletedSuccessfully ? _started.Result : null;

    internal Task FirstActivationDone => _firstActivationDone.Task;

    internal bool TrySetState(ProxyState from, ProxyState to) => Interlocked.CompareExchange(ref _state, (int)to, (int)from) == (int)from;

    internal void SetState(ProxyState to)
    {
        Volatile.Write(ref _state, (int)to);
        if (to == ProxyState.Removed)
        {
            // A backfilled stem cell removed before its start is never started.
            _startGate?.TrySetResult(false);
        }
    }

    /// <summary>An activation given this container is done with it (its slot is about to be returned).</summary>
    internal void OnActivationDone()
    {
        if (!_firstActivationDone.Task.IsCompleted)
        {
            _firstActivationDone.TrySetResult();
        }
    }

    /// <summary>Turns a stem cell into a container of <paramref name="key"/> (pool lock held).</summary>
    internal void Specialize(PoolKey key)
    {
        Debug.Assert(Key is null && State == ProxyState.Prewarmed, "only stem cells are specialized");
        Key = key;
        SetState(ProxyState.Ready);
        Slots.Resize(key.Concurrency);

        // A backfilled stem cell taken before its start: its activation waits for nothing else.
        _startGate?.TrySetResult(true);
    }

    /// <summary>Records a new activation (slot already taken) and disarms the idle timer.</summary>
    internal void OnAcquired(long now)
    {
        LastUsed = now;
        _idleTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Arms the pause timer once nothing is in flight.</summary>
    internal void OnIdle(TimeSpan pauseGrace)
    {
        lock (_gate)
        {
            if (State != ProxyState.Ready)
            {
                return;
            }

            _idleTimer ??= _owner.Time.CreateTimer(static s => ((ContainerProxy)s!)._owner.OnIdleTimer((ContainerProxy)s!), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _idleTimer.Change(pauseGrace, Timeout.InfiniteTimeSpan);
        }
    }

    internal void ArmRemoval(TimeSpan after)
    {
        lock (_gate)
        {
            _idleTimer?.Change(after, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Pauses the container after any earlier transition; /run requests wait for the matching resume.</summary>
    internal void BeginPause() => Chain(static c => c.PauseAsync());

    internal void BeginResume() => Chain(static c => c.ResumeAsync());

    private void Chain(Func<IContainer, ValueTask> operation)
    {
        lock (_gate)
        {
            Task previous = _transition;
            _transition = RunAfter(previous, operation);
        }
    }

    private async Task RunAfter(Task previous, Func<IContainer, ValueTask> operation)
    {
        await previous.ConfigureAwait(false);
        if (Container is { } container)
        {
            await operation(container).ConfigureAwait(false);
        }
    }

    /// <summary>Destroys the container (after its start finished, if it was starting). Idempotent.</summary>
    internal async Task DestroyAsync()
    {
        lock (_gate)
        {
            _idleTimer?.Dispose();
            _idleTimer = null;
        }

        try
        {
            IContainer container = await _started.ConfigureAwait(false);
            _client?.Dispose();
            await container.DestroyAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is ContainerStartException or OperationCanceledException)
        {
            // Never started: nothing to destroy.
        }
    }

    public override string ToString() => $"container {Id} {State} {Key?.ActionPath ?? Kind} {Slots}";
}
