using Perf.Invoker.Containers;

namespace Perf.Invoker.Tests.Containers;

/// <summary>A daemon that does not answer: provisioning fails the way the pool expects, with no exception of the client's own.</summary>
[Trait("Category", "Unit")]
public sealed class DockerUnreachableTests
{
    [Fact]
    public async Task CreateWithoutADaemon_FailsToProvision()
    {
        string socket = Path.Combine(Path.GetTempPath(), $"no-docker-{Guid.NewGuid():N}.sock");
        await using var factory = new DockerContainerFactory(new DockerContainerFactoryOptions
        {
            Endpoint = new Uri("unix://" + socket),
            RuntimeImage = "perf-invoker-nodejs:test",
            NamePrefix = "wsktest_",
        });

        var e = await Assert.ThrowsAsync<ContainerStartException>(() =>
            factory.CreateAsync(new ContainerSpec { Name = "wsktest_1_guest_hello", Kind = "nodejs:20", MemoryMegabytes = 128, Concurrency = 1 }, CancellationToken.None).AsTask());

        Assert.StartsWith("Could not create container 'wsktest_1_guest_hello': ", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, factory.LiveCount);
    }
}
