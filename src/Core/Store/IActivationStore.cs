using Perf.Invoker.Model;

namespace Perf.Invoker.Store;

/// <summary>Where finished activations go: the store keeps the record (docs/openwhisk.md §4).</summary>
public interface IActivationStore
{
    /// <summary>
    /// True when the ack goes out before the record is stored, as OpenWhisk's invoker orders them: a store that batches
    /// (CouchDB's group commit) would otherwise add its wait to every blocking activation. The handler, and so the
    /// offset commit, still completes only after the store. False for a store that a reader expects to hold the record
    /// once the ack is seen (the standalone API answers a blocking invoke from the ack).
    /// </summary>
    bool StoresAfterAcknowledgement => false;

    /// <summary>Completes once the record is durable: the caller commits its offset after this.</summary>
    ValueTask StoreAsync(ActivationRecord record, CancellationToken cancellationToken);

    /// <summary>
    /// The record of an activation that already ran, for duplicate suppression after a redelivery.
    /// <paramref name="userNamespace"/> is the invoking user's namespace (<c>msg.user.namespace.name</c>, the record's
    /// <c>namespace</c>): OpenWhisk's activation document id is <c>&lt;user namespace&gt;/&lt;activation id&gt;</c> (docs/cluster.md,
    /// "Activation records"); a store keyed by the id alone ignores it.
    /// </summary>
    ValueTask<ActivationRecord?> FindAsync(string userNamespace, ActivationId activationId, CancellationToken cancellationToken);
}
