using System.Runtime.CompilerServices;
using System.Collections.Concurrent;
using Perf.Invoker.ActionProtocol;
using Perf.Invoker.Containers;
using Perf.Invoker.Model;

namespace Perf.Invoker.Pool;

/// <summary>
/// Chooses a container for every activation (docs/openwhisk.md §6): a warm container of the action with a
/// free slot, then one still initializing, then a resumed paused one, then a prewarmed stem cell of the
/// same kind and memory, then a new container if memory allows, then a new one after evicting idle
/// containers least recently used first; otherwise the activation waits in a strict FIFO buffer whose
/// head alone is retried, and only when capacity changes.
/// </summary>
/// <remarks>
/// The warm path takes no lock: a per-key array of containers (replaced, never mutated) and a CAS on a
/// container's slot word. Everything else (creating, evicting, pausing, buffering, memory accounting)
/// is serialized under one lock. This file holds the pool's face (run, counts, disposal);
/// ContainerPool.Choice.cs chooses containers, ContainerPool.Lifecycle.cs starts, releases, pauses and removes them.
/// </remarks>
public sealed partial class ContainerPool : IAsyncDisposable, IContainerProxyOwner
{
    // A rescheduled activation ran nowhere; retrying forever could spin if every container refuses.
    private const int MaxAttempts = 3;

    /// <summary>The longest a stem cell's replacement waits for the first activation of the one taken (a long action's run).</summary>
    private static readonly TimeSpan s_backfillDelayLimit = TimeSpan.FromSeconds(1);

    private readonly IContainerFactory _factory;
    private readonly TimeProvider _time;

    /// <summary>Serializes everything but the warm path: choosing off the warm path, creating, evicting, pausing, removing.</summary>
    private readonly object _gate = new();

    /// <summary>
    /// Containers by the key they serve, so a container is only ever found by its own action and namespace
    /// (docs/architecture.md §3 invariant 5); arrays are replaced under <see cref="_gate"/>, read without it (the warm path).
    /// </summary>
    private readonly ConcurrentDictionary<PoolKey, ContainerProxy[]> _byKey = new();

    /// <summary>
    /// Every container not yet destroyed, stem cells included: exactly those whose memory <see cref="_memoryInUse"/>
    /// counts (docs/architecture.md §3 invariant 4). Under <see cref="_gate"/>.
    /// </summary>
    private readonly List<ContainerProxy> _all = [];

    /// <summary>Activations waiting for capacity, oldest first; only the head is retried (docs/openwhisk.md §6). Under <see cref="_gate"/>.</summary>
    private readonly Queue<PendingAcquire> _buffer = new();

    /// <summary>_buffer.Count, readable without the lock: while non-zero, new arrivals queue behind (strict FIFO).</summary>
    private volatile int _buffered;

    /// <summary>
    /// Memory of every container in <see cref="_all"/>: reserved before a start, returned after destruction, so it never
    /// exceeds UserMemoryMegabytes (docs/architecture.md §3 invariant 4). Under <see cref="_gate"/>.
    /// </summary>
    private long _memoryInUse;

    private long _nextId;
    private bool _disposed;

    public ContainerPool(IContainerFactory factory, ContainerPoolOptions options, TimeProvider? time = null)
    {
        _factory = factory;
        Options = options;
        _time = time ?? TimeProvider.System;
        lock (_gate)
        {
            TopUpStemCellsLocked();
        }
    }

    public ContainerPoolOptions Options { get; }

    private long Now => _time.GetTimestamp();

    public long MemoryInUseMegabytes
    {
        get
        {
            lock (_gate)
            {
                return _memoryInUse;
            }
        }
    }

    public int Buffered => _buffered;

    /// <summary>The containers not yet removed, for metrics and tests.</summary>
    public IReadOnlyList<ContainerProxy> Containers
    {
        get
        {
            lock (_gate)
            {
                return [.. _all];
            }
        }
    }

    /// <summary>Slots held across all containers: activations between their container choice and completion.</summary>
    public int SlotsInUse => Containers.Sum(c => c.Slots.InFlight);

    TimeProvider IContainerProxyOwner.Time => _time;

    TimeSpan IContainerProxyOwner.LogSentinelWait => Options.LogSentinelWait;

    /// <summary>Containers by state, slots and memory, counted under the pool lock without copying the list (a metrics scrape).</summary>
    public ContainerPoolSnapshot Snapshot()
    {
        int prewarmed = 0, initializing = 0, idle = 0, running = 0, paused = 0, draining = 0, removing = 0, inUse = 0, capacity = 0;
        lock (_gate)
        {
            foreach (ContainerProxy proxy in _all)
            {
                int inFlight = proxy.Slots.InFlight;
                inUse += inFlight;
                // A shrunk or closed container may hold more slots than its capacity; held slots count as capacity so
                // that utilisation stays within 0..1.
                capacity += Math.Max(proxy.Slots.Capacity, inFlight);
                switch (proxy.State)
                {
                    case ProxyState.Prewarmed:
                        prewarmed++;
                        break;
                    case ProxyState.Ready when !proxy.IsInitialized:
                        initializing++;
                        break;
                    case ProxyState.Ready when inFlight == 0:
                        idle++;
                        break;
                    case ProxyState.Ready:
                        running++;
                        break;
                    case ProxyState.Paused:
                        paused++;
                        break;
                    case ProxyState.Draining:
                        draining++;
                        break;
                    default:
                        removing++;
                        break;
                }
            }

            return new ContainerPoolSnapshot(prewarmed, initializing, idle, running, paused, draining, removing, inUse, capacity, _memoryInUse);
        }
    }

    /// <summary>
    /// Runs one activation: chooses a container, runs it there, and gives the slot back. A runtime that
    /// could not take the request (503, refused) is drained and the activation runs elsewhere.
    /// </summary>
    /// <remarks>Awaited once by its caller, so its state machine is pooled rather than allocated per activation.</remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ActivationRun> RunAsync(string invocationNamespace, ActivationMessage message, ExecutableAction action, CancellationToken cancellationToken = default)
    {
        var key = PoolKey.For(invocationNamespace, action);
        if (Options.Concurrency.Check(action.Concurrency) is { } outOfRange)
        {
            // The action's limits are the developer's to fix (docs/openwhisk.md §7); nothing is started for it.
            return new ActivationRun(ActionResponse.DeveloperError(ActionResponseKind.Answered, outOfRange), default, default, null, [], false, null);
        }

        if (action.MemoryMegabytes > Options.UserMemoryMegabytes)
        {
            return new ActivationRun(ActionResponse.WhiskError(ActionMessages.ResourceError), default, default, null, [], false, null);
        }

        for (int attempt = 1; ; attempt++)
        {
            ContainerProxy proxy = await AcquireAsync(key, action, cancellationToken).ConfigureAwait(false);
            ProxyRun run = default;
            bool ran = false;
            try
            {
                run = await proxy.RunAsync(message, action, cancellationToken).ConfigureAwait(false);
                ran = true;
            }
            finally
            {
                bool reschedule = ran && run.Response.Kind == ActionResponseKind.Reschedule;
                Release(proxy, destroy: !ran || run.Destroy || reschedule);
            }

            if (run.Response.Kind != ActionResponseKind.Reschedule)
            {
                return new ActivationRun(run.Response, run.Start, run.End, run.InitMillis, run.Logs, run.TimedOut, proxy);
            }

            if (attempt == MaxAttempts)
            {
                return new ActivationRun(ActionResponse.WhiskError(ActionMessages.ResourceError), run.Start, run.End, null, run.Logs, false, proxy);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        ContainerProxy[] all;
        lock (_gate)
        {
            _disposed = true;
            all = [.. _all];
            foreach (ContainerProxy proxy in all)
            {
                proxy.SetState(ProxyState.Removed);
            }

            while (_buffer.TryDequeue(out PendingAcquire? pending))
            {
                pending.TrySetCanceled();
            }

            _buffered = 0;
        }

        await Task.WhenAll(all.Select(p => p.DestroyAsync())).ConfigureAwait(false);
        lock (_gate)
        {
            _all.Clear();
            _byKey.Clear();
            _memoryInUse = 0;
        }
    }
}
