using Perf.Invoker.Model;

namespace Perf.Invoker.Pool;

/// <summary>An activation waiting in the pool's buffer for a container of its key; completed with one whose slot it holds.</summary>
internal sealed class PendingAcquire(PoolKey key, ExecutableAction action) : TaskCompletionSource<ContainerProxy>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    public PoolKey Key { get; } = key;

    public ExecutableAction Action { get; } = action;
}
