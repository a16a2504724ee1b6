using Perf.Invoker.Containers;

namespace Perf.Invoker.Tests.Support;

/// <summary>The leftover sweep of a restarting invoker, for tests that must know a killed invoker's runtimes are gone.</summary>
internal static class RuntimeSweep
{
    public static async Task RemoveOrphansAsync(string ownerTag)
    {
        await using var sweeper = new ProcessContainerFactory(new ProcessContainerFactoryOptions { RuntimeDirectory = Repository.NodeRuntime, OwnerTag = ownerTag });
        await sweeper.RemoveLeftoversAsync(CancellationToken.None);
    }
}
