using System.Collections.Concurrent;
using Perf.Invoker.Model;

namespace Perf.Invoker.Acknowledgements;

/// <summary>
/// The standalone mode's acknowledgement sink: instead of <c>completed&lt;C&gt;</c>, a blocking API request
/// waits here for its activation's record. Acks nobody waits for (non-blocking activations, a caller that
/// gave up with 202, a replay after a crash) are dropped: the record is in the store either way.
/// </summary>
public sealed class ActivationWaiters : IAcknowledgementSink
{
    private static readonly Task<ActivationRecord?> s_noRecord = Task.FromResult<ActivationRecord?>(null);

    private readonly ConcurrentDictionary<ActivationId, TaskCompletionSource<ActivationRecord?>> _waiting = new();

    /// <summary>Set once no more acks will come (the feed has stopped); from then on every wait ends at once, without a record.</summary>
    private volatile bool _released;

    /// <summary>Number of callers waiting for a record.</summary>
    public int Count => _waiting.Count;

    /// <summary>
    /// Starts waiting for <paramref name="activationId"/>; call before the activation is enqueued so the ack
    /// cannot overtake it. The task completes with the record, or null when the ack carried only the id
    /// (the record is then read from the store) or after <see cref="ReleaseAll"/>. <see cref="Forget"/> it when the caller stops waiting.
    /// </summary>
    public Task<ActivationRecord?> Register(ActivationId activationId)
    {
        if (_released)
        {
            return s_noRecord;
        }

        var waiter = new TaskCompletionSource<ActivationRecord?>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_waiting.TryAdd(activationId, waiter))
        {
            throw new InvalidOperationException($"Activation {activationId} already has a waiter.");
        }

        // Released between the check above and the add: the sweep may have missed this waiter.
        if (_released)
        {
            Complete(activationId, null);
        }

        return waiter.Task;
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

    public void Forget(ActivationId activationId) => _waiting.TryRemove(activationId, out _);

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

    private void Complete(ActivationId activationId, ActivationRecord? record)
    {
        if (_waiting.TryRemove(activationId, out TaskCompletionSource<ActivationRecord?>? waiter))
        {
            waiter.TrySetResult(record);
        }
    }
}
