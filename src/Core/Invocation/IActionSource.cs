using Perf.Invoker.Model;

namespace Perf.Invoker.Invocation;

/// <summary>
/// Where the handler finds the action an activation message names: this invoker's own store (standalone) or
/// OpenWhisk's entity database (docs/cluster.md, "Actions from the entity database").
/// </summary>
public interface IActionSource
{
    /// <summary>The action to run, or why there is none; a failure that OpenWhisk answers is a value, not an exception.</summary>
    ValueTask<ActionLookup> FindAsync(ActivationMessage message, CancellationToken cancellationToken);
}
