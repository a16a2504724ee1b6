using Perf.Invoker.Model;

namespace Perf.Invoker.Store;

/// <summary>Where finished activations go: the store keeps the record (docs/openwhisk.md §4).</summary>
public interface IActivationStore
{
    /// <summary>Completes once the record is durable: the caller acks the activation and commits its offset after this.</summary>
    ValueTask StoreAsync(ActivationRecord record, CancellationToken cancellationToken);

    /// <summary>
    /// The record of an activation that already ran, for duplicate suppression after a redelivery.
    /// <paramref name="userNamespace"/> is the invoking user's namespace (<c>msg.user.namespace.name</c>, the record's
    /// <c>namespace</c>): OpenWhisk's activation document id is <c>&lt;user namespace&gt;/&lt;activation id&gt;</c> (docs/cluster.md,
    /// "Activation records"); a store keyed by the id alone ignores it.
    /// </summary>
    ValueTask<ActivationRecord?> FindAsync(string userNamespace, ActivationId activationId, CancellationToken cancellationToken);
}
