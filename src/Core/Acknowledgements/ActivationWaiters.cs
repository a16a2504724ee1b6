using System.Collections.Concurrent;
using Perf.Invoker.Model;

namespace Perf.Invoker.Acknowledgements;

/// <summary>
/// The standalone mode's acknowledgement sink: instead of <c>completed&lt;C&gt;</c>, a blocking API request
/// waits here for its activation's record. Acks nobody waits for (non-blocking activations, a caller that
/// gave up with 202, a replay after a crash) are dropped: the record is in the store either way.
/// </summary>
/// <remarks>
/// Waits end at their deadline through one sweep every <see cref="SweepPeriod"/>, not a timer each: a timer per blocking
/// invoke (<c>Task.WaitAsync</c> with a timeout) cost a timer-queue entry, a promise and a registration per activation
/// (docs/performance.md §3), and a wait may end up to one period late, which no caller of a 60 s wait can tell.
/// </remarks>
public sealed class ActivationWaiters : IAcknowledgementSink, IDisposable
{
    /// <summary>How often waits past their deadline are ended: the most a wait can outlast its timeout.</summary>
    public static readonly TimeSpan SweepPeriod = TimeSpan.FromMilliseconds(50);

    private readonly ConcurrentDictionary<ActivationId, ActivationWaiter> _waiting = new();

    private readonly Timer _sweep;

    /// <summary>Set once no more acks will come (the feed has stopped); from then on every wait ends at once, without a record.</summary>
    private volatile bool _released;

    public ActivationWaiters() => _sweep = new Timer(static state => ((ActivationWaiters)state!).EndOverdue(), this, SweepPeriod, SweepPeriod);

    /// <summary>Number of callers waiting for a record.</summary>
    public int Count => _waiting.Count;

    /// <summary>
    /// Starts waiting for <paramref name="activationId"/>; call before the activation is enqueued so the ack
    /// cannot overtake it. The waiter's task completes with the record, or null when the ack carried only the id
    /// (the record is then read from the store) or after <see cref="ReleaseAll"/>; it fails with <see cref="TimeoutException"/>
    /// once <paramref name="wait"/> has passed and is cancelled with <paramref name="cancellationToken"/>.
    /// <see cref="Forget"/> it when the caller stops waiting.
    /// </summary>
    public ActivationWaiter Register(ActivationId activationId, TimeSpan wait, CancellationToken cancellationToken)
    {
        long deadline = wait < TimeSpan.Zero ? long.MaxValue : Environment.TickCount64 + (long)Math.Min(wait.TotalMilliseconds, int.MaxValue);
        var waiter = new ActivationWaiter(this, activationId, deadline);
        if (_released)
        {
            waiter.TrySetResult(null);
            return waiter;
        }

        if (!_waiting.TryAdd(activationId, waiter))
        {
            throw new InvalidOperationException($"Activation {activationId} already has a waiter.");
        }

        // Released between the check above and the add: the sweep may have missed this waiter.
        if (_released)
        {
            Complete(activationId, null);
        }

        if (cancellationToken.CanBeCanceled)
        {
            waiter.Cancellation = cancellationToken.UnsafeRegister(static (state, token) => ((ActivationWaiter)state!).Cancel(token), waiter);
        }

        return waiter;
    }

    /// <summary>
    /// Ends every wait, now and later, without a record: called once the feed has stopped, when what is still
    /// awaited runs only after a restart. The callers answer 202 with the activation id instead of holding the
    /// shutdown until their wait times out and then being cut off without the id.
    /// </summary>
    public void ReleaseAll()
    {
        _released = true;
        foreach (ActivationId activationId in _waiting.Keys)
        {
            Complete(activationId, null);
        }
    }

    /// <summary>The caller stopped waiting (it has its record, or gave up): the waiter leaves, with its cancellation registration.</summary>
    public void Forget(ActivationWaiter waiter)
    {
        _waiting.TryRemove(KeyValuePair.Create(waiter.ActivationId, waiter));
        waiter.Cancellation.Dispose();
    }

    public ValueTask SendCombinedAsync(ControllerInstanceId controller, CombinedCompletionAndResultMessage message, CancellationToken cancellationToken)
    {
        Complete(message.Response.ActivationId, message.Response.Record);
        return ValueTask.CompletedTask;
    }

    public ValueTask SendCompletionAsync(ControllerInstanceId controller, CompletionMessage message, CancellationToken cancellationToken)
    {
        Complete(message.ActivationId, null);
        return ValueTask.CompletedTask;
    }

    public void Dispose() => _sweep.Dispose();

    private void Complete(ActivationId activationId, ActivationRecord? record)
    {
        if (_waiting.TryRemove(activationId, out ActivationWaiter? waiter))
        {
            waiter.TrySetResult(record);
        }
    }

    /// <summary>Ends the waits whose deadline has passed; whoever removes a waiter from the map completes it, so an ack racing the sweep wins or loses whole.</summary>
    private void EndOverdue()
    {
        if (_waiting.IsEmpty)
        {
            return;
        }

        long now = Environment.TickCount64;
        foreach (KeyValuePair<ActivationId, ActivationWaiter> waiting in _waiting)
        {
            if (waiting.Value.Deadline <= now && _waiting.TryRemove(waiting))
            {
                waiting.Value.TrySetException(new TimeoutException($"No record of activation {waiting.Key} within the blocking wait."));
            }
        }
    }

    /// <summary>Cancelled by the caller's token: ends the wait if an ack or the sweep has not.</summary>
    internal void Cancel(ActivationWaiter waiter, CancellationToken cancellationToken)
    {
        if (_waiting.TryRemove(KeyValuePair.Create(waiter.ActivationId, waiter)))
        {
            waiter.TrySetCanceled(cancellationToken);
        }
    }
}

/// <summary>One blocking caller's wait for its activation's record (<see cref="ActivationWaiters.Register"/>); its <see cref="TaskCompletionSource{TResult}.Task"/> is what the caller awaits.</summary>
public sealed class ActivationWaiter : TaskCompletionSource<ActivationRecord?>
{
    private readonly ActivationWaiters _owner;

    internal ActivationWaiter(ActivationWaiters owner, ActivationId activationId, long deadline)
        : base(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        _owner = owner;
        ActivationId = activationId;
        Deadline = deadline;
    }

    public ActivationId ActivationId { get; }

    /// <summary>When the wait ends without a record, in <see cref="Environment.TickCount64"/> milliseconds.</summary>
    internal long Deadline { get; }

    /// <summary>The registration on the caller's token; disposed when the caller forgets the waiter.</summary>
    internal CancellationTokenRegistration Cancellation { get; set; }

    internal void Cancel(CancellationToken cancellationToken) => _owner.Cancel(this, cancellationToken);
}
