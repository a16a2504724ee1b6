using System.Collections.Concurrent;
using Perf.Invoker.Acknowledgements;
using Perf.Invoker.Model;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// The acks of standalone mode on their way to the waiting callers (<paramref name="inner"/>): each activation admitted
/// by the <see cref="NamespaceThrottle"/> holds its namespace's slot until its one completion arrives here, as OpenWhisk's
/// load balancer counts a namespace's activations from publish to completion ack. Activations this process did not
/// admit (recovered from the queue after a restart) hold none.
/// </summary>
internal sealed class InFlightActivations(IAcknowledgementSink inner) : IAcknowledgementSink
{
    private readonly ConcurrentDictionary<ActivationId, NamespaceCounters> _slots = new();

    /// <summary>Activations holding a slot.</summary>
    public int Count => _slots.Count;

    /// <summary>Hands <paramref name="slot"/> to the activation; called before it is enqueued, so its ack cannot come first.</summary>
    public void Track(ActivationId activationId, NamespaceCounters slot)
    {
        if (!_slots.TryAdd(activationId, slot))
        {
            throw new InvalidOperationException($"Activation {activationId} already holds a slot.");
        }
    }

    /// <summary>Gives the slot back, unless the completion did already: whoever takes the entry releases it, once.</summary>
    public void Release(ActivationId activationId)
    {
        if (_slots.TryRemove(activationId, out NamespaceCounters? slot))
        {
            slot.Release();
        }
    }

    // Released before the caller is woken: a client that sends its next request on the answer finds the slot free.
    public ValueTask SendCombinedAsync(ControllerInstanceId controller, CombinedCompletionAndResultMessage message, CancellationToken cancellationToken)
    {
        Release(message.Response.ActivationId);
        return inner.SendCombinedAsync(controller, message, cancellationToken);
    }

    public ValueTask SendCompletionAsync(ControllerInstanceId controller, CompletionMessage message, CancellationToken cancellationToken)
    {
        Release(message.ActivationId);
        return inner.SendCompletionAsync(controller, message, cancellationToken);
    }
}
