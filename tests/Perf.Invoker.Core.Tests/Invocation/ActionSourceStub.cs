using Perf.Invoker.Invocation;
using Perf.Invoker.Model;

namespace Perf.Invoker.Tests.Invocation;

/// <summary>An action source that answers from a function: the action, or the standalone store's answer to a missing one.</summary>
internal sealed class ActionSourceStub(Func<ActivationMessage, ExecutableAction?> find) : IActionSource
{
    public ValueTask<ActionLookup> FindAsync(ActivationMessage message, CancellationToken cancellationToken) =>
        ValueTask.FromResult(find(message) is { } action
            ? ActionLookup.Found(action)
            : ActionLookup.NotFound);
}
