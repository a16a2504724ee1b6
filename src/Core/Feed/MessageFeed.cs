using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Perf.Invoker.Feed;

/// <summary>
/// Takes messages from an <see cref="IMessageSource"/> and dispatches each to a <see cref="FeedHandler"/> without
/// waiting for it, at most <see cref="MessageFeedOptions.MaxPeek"/> at once (docs/openwhisk.md §7). Each dispatched
/// message holds one credit of that window and one offset of its partition's <see cref="OffsetTracker"/>; both are
/// given back exactly once, in a <c>finally</c>, however the handler ends (docs/architecture.md §3 invariant 2). Commits carry
/// the lowest incomplete offset of each partition (invariant 3), batched by count and by time, and flushed on
/// revocation and at shutdown.
/// <para>
/// Two topics (<c>invoker&lt;N&gt;</c> and <c>invoker&lt;N&gt;concurrent</c>) are two feeds side by side, one per source,
/// sharing the handler. That is the whole of their fairness: each has its own window, loop and offsets, so neither can
/// take the other's credits, and a topic whose window is full (its loop asleep) or whose source is empty never holds the
/// other back; under saturation each keeps exactly its own window in flight. One loop over both sources would need the
/// same two windows plus a round-robin, and a receive that waits on whichever source has credit and a message; and the
/// two topics' partition numbers would collide in one tracker. Window sizes: <see cref="PeekWindow"/>.
/// </para>
/// </summary>
/// <remarks>
/// When the window is full the source is not polled at all: the loop sleeps until a completion frees a credit, so
/// nothing is received that could not run (OpenWhisk peeks only what it has capacity for). The same holds while the
/// <see cref="MessageFeedOptions.Switch"/> is off: the loop sleeps until it is on again, and what runs finishes.
/// </remarks>
public sealed class MessageFeed : IPartitionListener
{
    private readonly IMessageSource _source;
    private readonly IOffsetCommitter _committer;
    private readonly FeedHandler _handler;
    private readonly MessageFeedOptions _options;
    private readonly TimeProvider _time;
    private readonly CreditWindow _window;

    /// <summary>
    /// Known partitions by number (revoked ones until reassigned), null where none. Replaced whole (copy on write) under
    /// <see cref="_assignment"/>, read without a lock: the per-message lookup is one array load. Partition numbers are small.
    /// </summary>
    private volatile FeedPartition?[] _partitions = [];

    /// <summary>Serializes assignment changes against each other, not against reads.</summary>
    private readonly Lock _assignment = new();

    /// <summary>
    /// Messages dispatched to the handler; <c>_dispatched − _completed == CreditsInUse</c> whenever no dispatch or completion
    /// is mid-way. Written only by the poll loop, so a plain increment published by a volatile write suffices.
    /// </summary>
    private long _dispatched;

    /// <summary>Dispatched messages whose handler ended, any way; ≤ <see cref="_dispatched"/>.</summary>
    private long _completed;

    /// <summary>Handler tasks that ended faulted or cancelled; ≤ <see cref="_completed"/>.</summary>
    private long _handlerFaults;

    /// <summary>Commits that threw.</summary>
    private long _commitFaults;

    /// <summary>Messages received and not dispatched: their partition was revoked, or their offset was not above the last dispatched.</summary>
    private long _skipped;

    /// <summary>1 while the loop sleeps because the invoker is disabled.</summary>
    private int _waitingForEnable;

    /// <summary>1 once <see cref="RunAsync"/> started; a feed runs once.</summary>
    private int _started;

    public MessageFeed(IMessageSource source, IOffsetCommitter committer, FeedHandler handler, MessageFeedOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(committer);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _source = source;
        _committer = committer;
        _handler = handler;
        _options = options;
        _time = time ?? TimeProvider.System;
        _window = new CreditWindow(options.MaxPeek);
    }

    /// <summary>The peek window: credits in all.</summary>
    public int MaxPeek => _window.Capacity;

    /// <summary>Credits in use: activations between dispatch and completion (docs/architecture.md §3 invariant 2).</summary>
    public int CreditsInUse => _window.InUse;

    /// <summary>The poll loop sleeps because the window is full: the source is not being polled.</summary>
    public bool IsWaitingForCredit => _window.IsWaiting;

    /// <summary>The poll loop sleeps because the invoker is disabled (<see cref="MessageFeedOptions.Switch"/>).</summary>
    public bool IsWaitingForEnable => Volatile.Read(ref _waitingForEnable) != 0;

    public long Dispatched => Volatile.Read(ref _dispatched);

    public long Completed => Interlocked.Read(ref _completed);

    public long HandlerFaults => Interlocked.Read(ref _handlerFaults);

    public long CommitFaults => Interlocked.Read(ref _commitFaults);

    /// <summary>Messages received and not dispatched: for a revoked partition, or re-delivered (offset not above the last dispatched).</summary>
    public long Skipped => Interlocked.Read(ref _skipped);

    /// <summary>A snapshot of every known partition, revoked ones with activations still in flight included.</summary>
    public IReadOnlyList<FeedPartitionCounters> Partitions => [.. _partitions.OfType<FeedPartition>().Select(p => p.Counters)];

    /// <summary>A snapshot of one partition; false when it is unknown.</summary>
    public bool TryGetPartition(int partition, out FeedPartitionCounters counters)
    {
        FeedPartition?[] partitions = _partitions;
        if ((uint)partition < (uint)partitions.Length && partitions[partition] is { } state)
        {
            counters = state.Counters;
            return true;
        }

        counters = default;
        return false;
    }

    /// <summary>
    /// Polls and dispatches until <paramref name="stoppingToken"/> is cancelled or the source throws; then stops polling,
    /// waits for every dispatched activation to complete, commits what completed, and returns (rethrowing the source's
    /// fault, if any). Cancelling the token is the graceful shutdown; handlers that must stop sooner need their own token.
    /// </summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            FeedUsageErrors.ThrowAlreadyRunning();
        }

        _source.SetPartitionListener(this);
        using CancellationTokenRegistration registration = stoppingToken.UnsafeRegister(static w => ((CreditWindow)w!).Cancel(), _window);
        ExceptionDispatchInfo? sourceFault = null;
        using (ITimer timer = _time.CreateTimer(static f => ((MessageFeed)f!).CommitOnTimer(), this, _options.CommitInterval, _options.CommitInterval))
        {
            try
            {
                while (true)
                {
                    await WaitForEnabledAsync(stoppingToken).ConfigureAwait(false);
                    // A wake may be stale (CreditWindow remarks): sleep again until a credit is really free.
                    do
                    {
                        await _window.WaitForFreeAsync(stoppingToken).ConfigureAwait(false);
                    }
                    while (!_window.HasFree);

                    FeedMessage message = await _source.ReceiveAsync(stoppingToken).ConfigureAwait(false);
                    // A receive already waiting when the invoker was disabled keeps its message until it is enabled: it is
                    // not tracked yet, so a stop meanwhile leaves its offset uncommitted and it is delivered again.
                    await WaitForEnabledAsync(stoppingToken).ConfigureAwait(false);
                    Dispatch(message);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Graceful stop: drain and flush below.
            }
            catch (Exception e)
            {
                // The source failed: what was dispatched still completes and is still committed before the fault surfaces.
                sourceFault = ExceptionDispatchInfo.Capture(e);
            }

            // The timer keeps committing while long activations drain.
            await _window.WaitForDrainAsync().ConfigureAwait(false);
        }

        await FlushAsync(CancellationToken.None).ConfigureAwait(false);
        sourceFault?.Throw();
    }

    /// <summary>Commits every partition's lowest incomplete offset now (shutdown; also callable by the host).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        foreach (FeedPartition? partition in _partitions)
        {
            if (partition is { IsRevoked: false })
            {
                await partition.CommitAsync(_committer, seal: false, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc/>
    public void PartitionsAssigned(IReadOnlyList<int> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        lock (_assignment)
        {
            foreach (int partition in partitions)
            {
                if (Find(partition) is not { IsRevoked: false })
                {
                    Publish(new FeedPartition(partition));
                }
            }
        }
    }

    /// <inheritdoc/>
    public async ValueTask PartitionsRevokedAsync(IReadOnlyList<int> partitions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        var revoked = new List<FeedPartition>(partitions.Count);
        lock (_assignment)
        {
            foreach (int partition in partitions)
            {
                if (Find(partition) is { IsRevoked: false } state)
                {
                    // Stop dispatching first, so nothing new is tracked behind the final commit.
                    state.Revoke();
                    revoked.Add(state);
                }
            }
        }

        foreach (FeedPartition state in revoked)
        {
            await state.CommitAsync(_committer, seal: true, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Completes at once, without allocating, while the invoker is enabled; otherwise sleeps until it is.</summary>
    private ValueTask WaitForEnabledAsync(CancellationToken stoppingToken)
    {
        return _options.Switch is { IsEnabled: false } invokerSwitch ? SleepAsync(invokerSwitch, stoppingToken) : default;

        async ValueTask SleepAsync(InvokerSwitch invokerSwitch, CancellationToken stoppingToken)
        {
            Volatile.Write(ref _waitingForEnable, 1);
            try
            {
                await invokerSwitch.WaitForEnabledAsync(stoppingToken).ConfigureAwait(false);
            }
            finally
            {
                Volatile.Write(ref _waitingForEnable, 0);
            }
        }
    }

    private void Dispatch(FeedMessage message)
    {
        FeedPartition partition = PartitionOf(message.Partition);
        // A revoked partition is not ours any more: its new owner reads it from the committed offset. A re-delivered
        // offset (a source that seeks back) completed or is running here, so it must not run twice.
        if (partition.IsRevoked || !partition.TryTrack(message.Offset))
        {
            Interlocked.Increment(ref _skipped);
            return;
        }

        _window.Take();
        Volatile.Write(ref _dispatched, _dispatched + 1);
        // Not awaited: many activations run at once, bounded by the window. RunOneAsync never throws.
        _ = RunOneAsync(message, partition);
    }

    private FeedPartition PartitionOf(int partition)
    {
        return Find(partition) ?? Assign(partition);

        // A source with fixed partitions (the embedded feed) never assigns: its first message does.
        FeedPartition Assign(int partition)
        {
            lock (_assignment)
            {
                return Find(partition) ?? Publish(new FeedPartition(partition));
            }
        }
    }

    private FeedPartition? Find(int partition)
    {
        FeedPartition?[] partitions = _partitions;
        return (uint)partition < (uint)partitions.Length ? partitions[partition] : null;
    }

    /// <summary>Puts <paramref name="state"/> in its partition's place in a new copy of the array; under <see cref="_assignment"/>.</summary>
    private FeedPartition Publish(FeedPartition state)
    {
        Debug.Assert(_assignment.IsHeldByCurrentThread, "assignment changes are serialized");
        ArgumentOutOfRangeException.ThrowIfNegative(state.Partition, "partition");
        FeedPartition?[] partitions = _partitions;
        var next = new FeedPartition?[Math.Max(partitions.Length, state.Partition + 1)];
        partitions.CopyTo(next, 0);
        next[state.Partition] = state;
        _partitions = next;
        return state;
    }

    private async Task RunOneAsync(FeedMessage message, FeedPartition partition)
    {
        bool commitDue = false;
        try
        {
            await _handler(message).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Invariant 7: a failed activation never stalls its partition; its offset completes like any other.
            Interlocked.Increment(ref _handlerFaults);
            _options.OnHandlerFault?.Invoke(message, e);
        }
        finally
        {
            try
            {
                commitDue = partition.Complete(message.Offset, _options.CommitEveryCompletions);
            }
            finally
            {
                // The credit goes back even if the bookkeeping above were ever to throw: a lost credit shrinks the window for good.
                Interlocked.Increment(ref _completed);
                _window.Return();
            }
        }

        if (commitDue)
        {
            await CommitQuietlyAsync(partition).ConfigureAwait(false);
        }
    }

    private void CommitOnTimer()
    {
        foreach (FeedPartition? partition in _partitions)
        {
            if (partition is { HasUncommitted: true })
            {
                // A timer callback cannot await; CommitQuietlyAsync never throws, and the gate orders it with other commits.
                _ = CommitQuietlyAsync(partition).AsTask();
            }
        }
    }

    private async ValueTask CommitQuietlyAsync(FeedPartition partition)
    {
        try
        {
            await partition.CommitAsync(_committer, seal: false, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // The next commit carries the same offset again; a commit fault must not fault an activation.
            Interlocked.Increment(ref _commitFaults);
            _options.OnCommitFault?.Invoke(partition.Partition, e);
        }
    }
}
