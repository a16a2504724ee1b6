using Perf.Invoker.Model;

namespace Perf.Invoker.Store;

/// <summary>Where finished activations go: the store keeps the record (docs/openwhisk.md §4).</summary>
public interface IActivationStore
{
    ValueTask StoreAsync(ActivationRecord record, CancellationToken cancellationToken);

    /// <summary>The record of an activation that already ran, for duplicate suppression after a redelivery.</summary>
    ValueTask<ActivationRecord?> FindAsync(ActivationId activationId, CancellationToken cancellationToken);
}
