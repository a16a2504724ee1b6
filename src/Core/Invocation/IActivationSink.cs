using Perf.Invoker.Model;

namespace Perf.Invoker.Invocation;

/// <summary>Where finished activations go: the store keeps the record (docs/openwhisk.md §4).</summary>
public interface IActivationStore
{
    ValueTask StoreAsync(ActivationRecord record, CancellationToken cancellationToken);

    /// <summary>The record of an activation that already ran, for duplicate suppression after a redelivery.</summary>
    ValueTask<ActivationRecord?> FindAsync(ActivationId activationId, CancellationToken cancellationToken);
}

/// <summary>
/// Where acknowledgements go: Kafka's <c>completed&lt;C&gt;</c> in a cluster, waiting callers in standalone
/// mode. Each activation gets exactly one completion (docs/openwhisk.md §3).
/// </summary>
public interface IAcknowledgementSink
{
    /// <summary>Blocking activations: result and completion in one message.</summary>
    ValueTask SendCombinedAsync(ControllerInstanceId controller, CombinedCompletionAndResultMessage message, CancellationToken cancellationToken);

    /// <summary>Non-blocking activations: the completion only.</summary>
    ValueTask SendCompletionAsync(ControllerInstanceId controller, CompletionMessage message, CancellationToken cancellationToken);
}
