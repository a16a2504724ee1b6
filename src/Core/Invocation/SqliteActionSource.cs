using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Invocation;

/// <summary>
/// Actions from this invoker's own store, by path and name (docs/openwhisk.md §2): <c>revision</c> and
/// <c>action.version</c> do not select a document.
/// </summary>
public sealed class SqliteActionSource(SqliteActionStore actions) : IActionSource
{
    public async ValueTask<ActionLookup> FindAsync(ActivationMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        try
        {
            // An action in a package has the path guest/P (as OpenWhisk addresses it) and is stored as guest, "P/NAME".
            string path = message.Action.Path;
            int slash = path.IndexOf('/');
            StoredAction? stored = slash < 0
                ? await actions.GetAsync(path, message.Action.Name, cancellationToken).ConfigureAwait(false)
                : await actions.GetAsync(path[..slash], $"{path[(slash + 1)..]}/{message.Action.Name}", cancellationToken).ConfigureAwait(false);
            // OpenWhisk's answer to a missing document (docs/openwhisk.md §2): an application error, which a controller counts
            // as a success of the invoker; a whisk error would count against its health for the user's deleted action.
            return stored is null ? ActionLookup.NotFound : ActionLookup.Found(stored.Executable);
        }
        catch (StoreRecordException)
        {
            // A stored spec this version cannot read: OpenWhisk's answer to an unreadable document, and still a record and an ack.
            return ActionLookup.NotCompatible;
        }
    }
}
