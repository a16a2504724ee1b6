using System.Diagnostics;
using Perf.Invoker.Concurrency;
using Perf.Invoker.Containers;

namespace Perf.Invoker.Pool;

public sealed partial class ContainerPool
{
    /// <summary>Starts the stem cells missing from each prewarm config's count, as far as memory allows.</summary>
    /// <param name="after">
    /// Their processes start once this is done (the first activation of a stem cell just taken), or when one of them is
    /// taken, or after <see cref="s_backfillDelayLimit"/>; their memory is reserved now. Null: at once.
    /// </param>
    private void TopUpStemCellsLocked(Task? after = null)
    {
        foreach (PrewarmConfig config in Options.Prewarm)
        {
            int missing = config.Count - _all.Count(p => p.State == ProxyState.Prewarmed && p.Kind == config.Kind && p.MemoryMegabytes == config.MemoryMegabytes && p.Concurrent == config.Concurrent);
            for (; missing > 0 && _memoryInUse + config.MemoryMegabytes <= Options.UserMemoryMegabytes; missing--)
            {
                StartContainerLocked(null, config.Kind, config.MemoryMegabytes, config.Concurrent, after);
            }
        }
    }

    private ContainerProxy StartContainerLocked(PoolKey? key, string kind, int memory, bool concurrent, Task? after = null)
    {
        long id = ++_nextId;
        var spec = new ContainerSpec
        {
            Name = $"{Options.NamePrefix}{id}_{Sanitize(key?.ActionPath ?? "prewarm_" + kind)}",
            Kind = kind,
            MemoryMegabytes = memory,
            Concurrency = concurrent ? Math.Max(key?.Concurrency ?? 2, 2) : 1,
        };
        TaskCompletionSource<bool>? gate = after is null ? null : new(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<IContainer> started = gate is null
            ? Task.Run(() => _factory.CreateAsync(spec, CancellationToken.None).AsTask())
            : StartAfterAsync(spec, after!, gate.Task);
        var proxy = new ContainerProxy(this, id, key, kind, memory, concurrent, started, gate);
        _all.Add(proxy);
        _memoryInUse += memory;
        Debug.Assert(_memoryInUse <= Options.UserMemoryMegabytes, "memory in use never exceeds userMemory (docs/architecture.md §3 invariant 4)");

        // A container that fails to start is removed at once when no activation holds it; one that started is watched
        // for a runtime that exits by itself.
        _ = started.ContinueWith(t =>
        {
            if (t.IsFaulted && proxy.Slots.InFlight == 0)
            {
                Remove(proxy);
            }
            else if (t.IsCompletedSuccessfully)
            {
                _ = t.Result.Exited.ContinueWith(_ => OnExited(proxy), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return proxy;
    }

    /// <summary>
    /// The runtime exited without the pool destroying it (killed from outside, the OOM killer, a crash between activations):
    /// the container drains at once, so that its memory comes back and no activation is sent to a dead runtime, where it
    /// would fail for something it did not do. Activations still in flight there end with their own outcome (docs/pool.md).
    /// </summary>
    private void OnExited(ContainerProxy proxy)
    {
        lock (_gate)
        {
            // Draining and Removed: the pool is already taking it away (a failure, a timeout, eviction, disposal).
            if (proxy.State is ProxyState.Draining or ProxyState.Removed)
            {
                return;
            }

            proxy.SetState(ProxyState.Draining);
            if ((proxy.Slots.Close() & SlotTransitions.Drained) != 0)
            {
                RemoveLocked(proxy);
            }
        }
    }

    /// <summary>
    /// A backfilled stem cell's start: a runtime starting takes a core for tens of milliseconds, and on a small machine the
    /// cold start that took the stem cell it replaces would wait for that core (docs/pool.md, "Stem cells").
    /// </summary>
    /// <param name="gate">True when the stem cell is taken meanwhile (start now), false when it is removed (never start).</param>
    private async Task<IContainer> StartAfterAsync(ContainerSpec spec, Task after, Task<bool> gate)
    {
        // Always off the caller's thread: it holds the pool lock.
        await Task.WhenAny(after, gate, Task.Delay(s_backfillDelayLimit, _time)).ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
        if (gate.IsCompleted && !gate.Result)
        {
            throw new OperationCanceledException("the stem cell was removed before it started");
        }

        return await _factory.CreateAsync(spec, CancellationToken.None).ConfigureAwait(false);
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

    /// <summary>
    /// Gives a slot back; a failed container is drained and removed once its last activation is done. A timed-out
    /// activation retires its container this way too: the others in flight there finish with their own results (docs/pool.md).
    /// </summary>
    private void Release(ContainerProxy proxy, bool destroy)
    {
        if (destroy)
        {
            proxy.SetState(ProxyState.Draining);
            proxy.Slots.Close();
        }

        proxy.OnActivationDone();
        SlotTransitions transitions = proxy.Slots.Release();
        if ((transitions & SlotTransitions.Drained) != 0)
        {
            Remove(proxy);
        }
        else if ((transitions & SlotTransitions.BecameIdle) != 0)
        {
            proxy.OnIdle(Options.PauseGrace);
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
        proxy.OnActivationDone();
        SlotTransitions transitions = proxy.Slots.Release();
        if ((transitions & SlotTransitions.Drained) != 0)
        {
            Remove(proxy);
        }
        else if ((transitions & SlotTransitions.BecameIdle) != 0)
        {
            proxy.OnIdle(Options.PauseGrace);
        }
    }

    void IContainerProxyOwner.Remove(ContainerProxy proxy) => Remove(proxy);

    private void Remove(ContainerProxy proxy)
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

            // Memory came back and nothing waits: stem cells missing since one was evicted (EvictLocked) start again. Not
            // after a failed start, or a broken runtime would be started again and again.
            if (proxy.IsStarted && _buffer.Count == 0 && !_disposed)
            {
                TopUpStemCellsLocked();
            }
        }
    }

    /// <summary>The pause timer of an idle container fired: pause it, or remove it when it was already paused.</summary>
    void IContainerProxyOwner.OnIdleTimer(ContainerProxy proxy)
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
}
