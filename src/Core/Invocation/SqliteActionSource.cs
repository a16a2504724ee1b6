using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Invocation;

/// <summary>
/// Actions from this invoker's own store, by path and name (docs/openwhisk.md §2): <c>revision</c> and
/// <c>action.version</c> do not select a document.
/// </summary>
public sealed class SqliteActionSource(SqliteActionStore actions) : IActionSource
{
    /// <summary>
    /// A missing action stays a whisk error here, as the standalone invoker has always answered it (docs/openwhisk.md §2),
    /// with OpenWhisk's message; the entity database's source answers OpenWhisk's application error.
    /// </summary>
    private static readonly ActionLookup s_missing = ActionLookup.Failed(ActivationStatus.WhiskError, ActionLookup.NotFoundMessage);

    public async ValueTask<ActionLookup> FindAsync(ActivationMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        try
        {
            StoredAction? stored = await actions.GetAsync(message.Action.Path, message.Action.Name, cancellationToken).ConfigureAwait(false);
            return stored is null ? s_missing : ActionLookup.Found(stored.Executable);
        }
        catch (StoreRecordException)
        {
            // A stored spec this version cannot read: OpenWhisk's answer to an unreadable document, and still a record and an ack.
            return ActionLookup.NotCompatible;
        }
    }
}
