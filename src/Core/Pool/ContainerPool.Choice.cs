using System.Diagnostics;
using Perf.Invoker.Concurrency;
using Perf.Invoker.Model;

namespace Perf.Invoker.Pool;

public sealed partial class ContainerPool
{
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
    private ContainerProxy? TryAcquireWarm(PoolKey key)
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

            ContainerProxy? proxy = TryAcquireWarm(head.Key) ?? TryResumeLocked(head.Key) ?? TryTakeStemCellLocked(head) ?? TryCreateLocked(head);
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

                // Keep the configured number of stem cells; the replacement's process starts once this activation is done.
                TopUpStemCellsLocked(after: proxy.FirstActivationDone);

                return proxy;
            }
        }

        return null;
    }

    private ContainerProxy? TryCreateLocked(PendingAcquire head)
    {
        int memory = head.Key.MemoryMegabytes;
        if (_memoryInUse + memory > Options.UserMemoryMegabytes && !EvictLocked(memory, head.Key))
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
    /// Removes idle containers, least recently used first, then stem cells, until <paramref name="memory"/> fits. Only
    /// containers with nothing in flight go; their memory counts as free once they are destroyed.
    /// </summary>
    /// <remarks>
    /// Never one of <paramref name="key"/>'s own: its slots are freed without the lock, so one can turn idle between the
    /// warm path's miss and this scan, and removing it to start another container for the same action would waste a cold
    /// start. Its release retries the buffer as soon as this drain lets go of the lock, and the warm path takes it then.
    /// Stem cells go last, and only when that makes room: one that no action of its kind and memory came to take must not
    /// keep an activation of another waiting for ever (stem cells are on by default, docs/pool.md). It is started again
    /// once memory is back and nothing waits (<see cref="DestroyAndReleaseMemoryAsync"/>).
    /// </remarks>
    private bool EvictLocked(int memory, PoolKey key)
    {
        // Containers already being destroyed give their memory back soon: counted, so that a retry of the head before
        // they are gone does not evict more than it needs.
        long reclaimable = _all.Where(p => p.State == ProxyState.Removed).Sum(p => (long)p.MemoryMegabytes);
        var victims = new List<ContainerProxy>();
        IEnumerable<ContainerProxy> idle = _all.Where(p => p.State is ProxyState.Ready or ProxyState.Paused && p.IsStarted && p.Slots.InFlight == 0 && p.Key != key).OrderBy(p => p.LastUsed);
        foreach (ContainerProxy proxy in idle.Concat(_all.Where(p => p.State == ProxyState.Prewarmed)))
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
}
