using Perf.Invoker.Model;

namespace Perf.Invoker.Pool;

/// <summary>
/// Which containers may serve an activation: one action (by what runs, not by revision) of one
/// invocation namespace, with the same memory and concurrency (docs/openwhisk.md §6, docs/architecture.md §3 invariant 5).
/// </summary>
public readonly record struct PoolKey(string InvocationNamespace, string ActionPath, string ExecDigest, int MemoryMegabytes, int Concurrency)
{
    public static PoolKey For(string invocationNamespace, ExecutableAction action) =>
        new(invocationNamespace, action.Path, action.ExecDigest, action.MemoryMegabytes, action.Concurrency);
}
