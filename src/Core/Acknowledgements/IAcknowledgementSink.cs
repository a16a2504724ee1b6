using Perf.Invoker.Model;

namespace Perf.Invoker.Acknowledgements;

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
