using System.Collections.Concurrent;
using Perf.Invoker.Model;

namespace Perf.Invoker.Invocation;

/// <summary>
/// The standalone mode's acknowledgement sink: instead of <c>completed&lt;C&gt;</c>, a blocking API request
/// waits here for its activation's record. Acks nobody waits for (non-blocking activations, a caller that
/// gave up with 202, a replay after a crash) are dropped: the record is in the store either way.
/// </summary>
public sealed class ActivationWaiters : IAcknowledgementSink
{
    private readonly ConcurrentDictionary<ActivationId, TaskCompletionSource<ActivationRecord?>> _waiting = new();

    /// <summary>Number of callers waiting for a record.</summary>
    public int Count => _waiting.Count;

    /// <summary>
    /// Starts waiting for <paramref name="activationId"/>; call before the activation is enqueued so the ack
    /// cannot overtake it. The task completes with the record, or null when the ack carried only the id
    /// (the record is then read from the store). <see cref="Forget"/> it when the caller stops waiting.
    /// </summary>
    public Task<ActivationRecord?> Register(ActivationId activationId)
    {
        var waiter = new TaskCompletionSource<ActivationRecord?>(TaskCreationOptions.RunContinuationsAsynchronously);
        return _waiting.TryAdd(activationId, waiter)
            ? waiter.Task
            : throw new InvalidOperationException($"Activation {activationId} already has a waiter.");
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
