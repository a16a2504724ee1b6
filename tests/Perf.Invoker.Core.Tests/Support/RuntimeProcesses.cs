using Perf.Invoker.Containers;

namespace Perf.Invoker.Tests.Support;

/// <summary>Process container factories over the repository's runtimes/nodejs, each with its own owner tag so test classes never sweep each other's processes.</summary>
internal static class RuntimeProcesses
{
    public static ProcessContainerFactory NewFactory(string owner = "test") => new(new ProcessContainerFactoryOptions
    {
        RuntimeDirectory = Repository.NodeRuntime,
        OwnerTag = $"{owner}-{Guid.NewGuid():N}"[..(owner.Length + 9)],
    });
}
