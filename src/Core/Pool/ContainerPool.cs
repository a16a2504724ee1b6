using System.Collections.Concurrent;
using System.Diagnostics;
using Perf.Invoker.ActionProtocol;
using Perf.Invoker.Concurrency;
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
/// is serialized under one lock.
/// </remarks>
public sealed class ContainerPool : IAsyncDisposable
{
    // A rescheduled activation ran nowhere; retrying forever could spin if every container refuses.
    private const int MaxAttempts = 3;

    private readonly IContainerFactory _factory;
    private readonly object _gate = new();

    /// <summary>Containers by the key they serve; arrays are replaced under <see cref="_gate"/>, read without it.</summary>
    private readonly ConcurrentDictionary<PoolKey, ContainerProxy[]> _byKey = new();

    /// <summary>Every container not yet removed, stem cells included (under <see cref="_gate"/>).</summary>
    private readonly List<ContainerProxy> _all = [];

    /// <summary>Activations waiting for capacity, oldest first (under <see cref="_gate"/>).</summary>
    private readonly Queue<PendingAcquire> _buffer = new();

    /// <summary>_buffer.Count, readable without the lock: while non-zero, new arrivals queue behind (strict FIFO).</summary>
    private volatile int _buffered;

    /// <summary>Memory of every container not yet destroyed (under <see cref="_gate"/>); never exceeds UserMemoryMegabytes.</summary>
    private long _memoryInUse;

    private long _nextId;
    private bool _disposed;

    public ContainerPool(IContainerFactory factory, ContainerPoolOptions options, TimeProvider? time = null)
    {
        _factory = factory;
        Options = options;
        Time = time ?? TimeProvider.System;
        lock (_gate)
        {
            foreach (PrewarmConfig prewarm in options.Prewarm)
            {
                for (int i = 0; i < prewarm.Count; i++)
                {
                    TryStartStemCell(prewarm);
                }
            }
        }
    }

    public ContainerPoolOptions Options { get; }

    internal TimeProvider Time { get; }

    internal long Now => Time.GetTimestamp();

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
    public async Task<ActivationRun> RunAsync(string invocationNamespace, ActivationMessage message, ExecutableAction action, CancellationToken cancellationToken = default)
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

    private ValueTask<ContainerProxy> AcquireAsync(PoolKey key, ExecutableAction action, CancellationToken cancellationToken)
    {
        if (_buffered == 0 && TryAcquireWarm(key) is { } warm)
        {
            warm.OnAcquired(Now);
            return ValueTask.FromResult(warm);
        }

        return new ValueTask<ContainerProxy>(AcquireColdAsync(key, action, cancellationToken));
    }

    private async Task<ContainerProxy> AcquireColdAsync(PoolKey key, ExecutableAction action, CancellationToken cancellationToken)
    {
        var pending = new PendingAcquire(key, action);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _buffer.Enqueue(pending);
            _buffered = _buffer.Count;
            DrainLocked();
        }

        using CancellationTokenRegistration registration = pending.Task.IsCompleted || !cancellationToken.CanBeCanceled
            ? default
            : cancellationToken.Register(static s => ((PendingAcquire)s!).TrySetCanceled(), pending);
        return await pending.Task.ConfigureAwait(false);
    }

    /// <summary>The lock-free warm path: initialized containers first, then ones still initializing.</summary>
    private ContainerProxy? TryAcquireWarm(PoolKey key) => TryAcquireIndexed(key);

    private ContainerProxy? TryAcquireIndexed(PoolKey key)
    {
        if (!_byKey.TryGetValue(key, out ContainerProxy[]? proxies))
        {
            return null;
        }

        for (int pass = 0; pass < 2; pass++)
        {
            foreach (ContainerProxy proxy in proxies)
            {
                if (proxy.State != ProxyState.Ready || proxy.IsInitialized != (pass == 0) || !proxy.Slots.TryAcquire())
                {
                    continue;
                }

                if (proxy.State == ProxyState.Ready)
                {
                    return proxy;
                }

                // Drained or paused between the check and the CAS: give the slot back.
                GiveBack(proxy);
            }
        }

        return null;
    }

    /// <summary>Retries the head of the buffer until it cannot be placed (docs/openwhisk.md §6: head only, FIFO).</summary>
    private void DrainLocked()
    {
        Debug.Assert(Monitor.IsEntered(_gate), "the buffer is drained under the pool lock");
        while (_buffer.TryPeek(out PendingAcquire? head))
        {
            if (head.Task.IsCompleted)
            {
                _buffer.Dequeue();
                continue;
            }

            ContainerProxy? proxy = TryAcquireIndexed(head.Key) ?? TryResumeLocked(head.Key) ?? TryTakeStemCellLocked(head) ?? TryCreateLocked(head);
            if (proxy is null)
            {
                break;
            }

            _buffer.Dequeue();
            proxy.OnAcquired(Now);
            if (!head.TrySetResult(proxy))
            {
                // Canceled meanwhile: the slot goes back.
                GiveBack(proxy);
            }
        }

        _buffered = _buffer.Count;
    }

    private ContainerProxy? TryResumeLocked(PoolKey key)
    {
        if (!_byKey.TryGetValue(key, out ContainerProxy[]? proxies))
        {
            return null;
        }

        foreach (ContainerProxy proxy in proxies)
        {
            if (proxy.State == ProxyState.Paused && proxy.TrySetState(ProxyState.Paused, ProxyState.Ready))
            {
                proxy.BeginResume();
                proxy.Slots.Resize(key.Concurrency);
                if (proxy.Slots.TryAcquire())
                {
                    return proxy;
                }
            }
        }

        return null;
    }

    private ContainerProxy? TryTakeStemCellLocked(PendingAcquire head)
    {
        foreach (ContainerProxy proxy in _all)
        {
            if (proxy.State == ProxyState.Prewarmed && proxy.Kind == head.Action.Kind &&
                proxy.MemoryMegabytes == head.Key.MemoryMegabytes && proxy.Concurrent == head.Key.Concurrency > 1)
            {
                proxy.Specialize(head.Key);
                AddToIndexLocked(head.Key, proxy);
                bool acquired = proxy.Slots.TryAcquire();
                Debug.Assert(acquired, "a fresh stem cell has free slots");

                // Keep the configured number of stem cells.
                if (Options.Prewarm.FirstOrDefault(p => p.Kind == proxy.Kind && p.MemoryMegabytes == proxy.MemoryMegabytes && p.Concurrent == proxy.Concurrent) is { } config)
                {
                    TryStartStemCell(config);
                }

                return proxy;
            }
        }

        return null;
    }

    private ContainerProxy? TryCreateLocked(PendingAcquire head)
    {
        int memory = head.Key.MemoryMegabytes;
        if (_memoryInUse + memory > Options.UserMemoryMegabytes && !EvictLocked(memory))
        {
            return null;
        }

        ContainerProxy proxy = StartContainerLocked(head.Key, head.Action.Kind, memory, head.Key.Concurrency > 1);
        AddToIndexLocked(head.Key, proxy);
        bool acquired = proxy.Slots.TryAcquire();
        Debug.Assert(acquired, "a new container has free slots");
        return proxy;
    }

    /// <summary>
    /// Removes idle containers, least recently used first, until <paramref name="memory"/> fits. Only
    /// containers with nothing in flight go; their memory counts as free once they are destroyed.
    /// </summary>
    private bool EvictLocked(int memory)
    {
        long reclaimable = 0;
        var victims = new List<ContainerProxy>();
        foreach (ContainerProxy proxy in _all.Where(p => p.State is ProxyState.Ready or ProxyState.Paused && p.IsStarted && p.Slots.InFlight == 0).OrderBy(p => p.LastUsed))
        {
            if (_memoryInUse - reclaimable + memory <= Options.UserMemoryMegabytes)
            {
                break;
            }

            victims.Add(proxy);
            reclaimable += proxy.MemoryMegabytes;
        }

        if (_memoryInUse - reclaimable + memory > Options.UserMemoryMegabytes)
        {
            return false;
        }

        foreach (ContainerProxy victim in victims)
        {
            if ((victim.Slots.Close() & SlotTransitions.Drained) != 0)
            {
                RemoveLocked(victim);
            }
            else
            {
                // A warm acquisition won the race: it drains and is removed after that activation.
                victim.SetState(ProxyState.Draining);
            }
        }

        // Memory is released when the destroyed containers are gone; the head is retried then.
        return _memoryInUse + memory <= Options.UserMemoryMegabytes;
    }

    private void TryStartStemCell(PrewarmConfig config)
    {
        if (_memoryInUse + config.MemoryMegabytes <= Options.UserMemoryMegabytes)
        {
            StartContainerLocked(null, config.Kind, config.MemoryMegabytes, config.Concurrent);
        }
    }

    private ContainerProxy StartContainerLocked(PoolKey? key, string kind, int memory, bool concurrent)
    {
        long id = ++_nextId;
        var spec = new ContainerSpec
        {
            Name = $"{Options.NamePrefix}{id}_{Sanitize(key?.ActionPath ?? "prewarm_" + kind)}",
            Kind = kind,
            MemoryMegabytes = memory,
            Concurrency = concurrent ? Math.Max(key?.Concurrency ?? 2, 2) : 1,
        };
        Task<IContainer> started = Task.Run(() => _factory.CreateAsync(spec, CancellationToken.None).AsTask());
        var proxy = new ContainerProxy(this, id, key, kind, memory, concurrent, started);
        _all.Add(proxy);
        _memoryInUse += memory;
        Debug.Assert(_memoryInUse <= Options.UserMemoryMegabytes, "memory in use never exceeds userMemory (docs/architecture.md §3 invariant 4)");

        // A container that fails to start is removed at once when no activation holds it.
        _ = started.ContinueWith(static (t, s) =>
        {
            var p = (ContainerProxy)s!;
            if (t.IsFaulted && p.Slots.InFlight == 0)
            {
                p.PoolRemove();
            }
        }, proxy, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return proxy;
    }

    private static string Sanitize(string name) => string.Create(name.Length, name, static (span, n) =>
    {
        for (int i = 0; i < n.Length; i++)
        {
            span[i] = char.IsAsciiLetterOrDigit(n[i]) ? n[i] : '_';
        }
    });

    private void AddToIndexLocked(PoolKey key, ContainerProxy proxy) =>
        _byKey[key] = _byKey.TryGetValue(key, out ContainerProxy[]? existing) ? [.. existing, proxy] : [proxy];

    private void RemoveFromIndexLocked(ContainerProxy proxy)
    {
        if (proxy.Key is { } key && _byKey.TryGetValue(key, out ContainerProxy[]? existing))
        {
            ContainerProxy[] rest = [.. existing.Where(p => p != proxy)];
            if (rest.Length == 0)
            {
                _byKey.TryRemove(key, out _);
            }
            else
            {
                _byKey[key] = rest;
            }
        }
    }

    /// <summary>Gives a slot back; a failed container is drained and removed once its last activation is done.</summary>
    private void Release(ContainerProxy proxy, bool destroy)
    {
        if (destroy)
        {
            proxy.SetState(ProxyState.Draining);
            proxy.Slots.Close();
        }

        SlotTransitions transitions = proxy.Slots.Release();
        if ((transitions & SlotTransitions.Drained) != 0)
        {
            proxy.PoolRemove();
        }
        else if ((transitions & SlotTransitions.BecameIdle) != 0)
        {
            proxy.OnIdle(Time, Options.PauseGrace);
        }

        // Capacity changed: retry the head of the buffer (docs/openwhisk.md §6), never in a loop of our own.
        if (_buffered > 0)
        {
            lock (_gate)
            {
                DrainLocked();
            }
        }
    }

    /// <summary>Returns a slot that was never used, without retrying the buffer (capacity did not grow for anyone).</summary>
    private void GiveBack(ContainerProxy proxy)
    {
        SlotTransitions transitions = proxy.Slots.Release();
        if ((transitions & SlotTransitions.Drained) != 0)
        {
            Remove(proxy);
        }
        else if ((transitions & SlotTransitions.BecameIdle) != 0)
        {
            proxy.OnIdle(Time, Options.PauseGrace);
        }
    }

    internal void Remove(ContainerProxy proxy)
    {
        lock (_gate)
        {
            RemoveLocked(proxy);
        }
    }

    /// <summary>Takes the container out of service now and frees its memory once it is destroyed.</summary>
    private void RemoveLocked(ContainerProxy proxy)
    {
        if (proxy.State == ProxyState.Removed)
        {
            return;
        }

        proxy.SetState(ProxyState.Removed);
        RemoveFromIndexLocked(proxy);
        _ = DestroyAndReleaseMemoryAsync(proxy);
    }

    private async Task DestroyAndReleaseMemoryAsync(ContainerProxy proxy)
    {
        // Never under the caller's lock: the buffer drain below must not nest inside another.
        await Task.Yield();
        await proxy.DestroyAsync().ConfigureAwait(false);
        lock (_gate)
        {
            if (_all.Remove(proxy))
            {
                _memoryInUse -= proxy.MemoryMegabytes;
            }

            DrainLocked();
        }
    }

    /// <summary>The pause timer of an idle container fired: pause it, or remove it when it was already paused.</summary>
    internal void OnIdleTimer(ContainerProxy proxy)
    {
        lock (_gate)
        {
            if (proxy.State == ProxyState.Paused && proxy.Slots.InFlight == 0)
            {
                RemoveLocked(proxy);
                return;
            }

            if (proxy.State != ProxyState.Ready || !proxy.IsStarted || proxy.Slots.InFlight != 0)
            {
                return;
            }

            // Close the slots before checking: an acquisition racing with us either got in first (we
            // back off) or fails, so no activation runs on a paused container.
            proxy.Slots.Resize(0);
            if (proxy.Slots.InFlight != 0)
            {
                proxy.Slots.Resize(proxy.Key!.Value.Concurrency);
                return;
            }

            proxy.SetState(ProxyState.Paused);
            proxy.BeginPause();
            TimeSpan idle = proxy.Concurrent ? Options.ConcurrentIdleTimeout : Options.IdleTimeout;
            proxy.ArmRemoval(idle > Options.PauseGrace ? idle - Options.PauseGrace : TimeSpan.Zero);
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

    /// <summary>An activation waiting in the buffer.</summary>
    private sealed class PendingAcquire(PoolKey key, ExecutableAction action) : TaskCompletionSource<ContainerProxy>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public PoolKey Key { get; } = key;

        public ExecutableAction Action { get; } = action;
    }
}

/// <summary>What the pool produced for one activation.</summary>
public readonly record struct ActivationRun(
    ActionResponse Response,
    DateTimeOffset Start,
    DateTimeOffset End,
    long? InitMillis,
    string[] Logs,
    bool TimedOut,
    ContainerProxy? Container);
