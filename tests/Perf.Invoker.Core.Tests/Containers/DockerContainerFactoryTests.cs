using Docker.DotNet;
using Docker.DotNet.Models;
using ContainerSpec = Perf.Invoker.Containers.ContainerSpec;
using Perf.Invoker.ActionProtocol;
using Perf.Invoker.Containers;
using Perf.Invoker.Model;

namespace Perf.Invoker.Tests.Containers;

/// <summary>
/// The Docker backend against a real dockerd: action containers from the offline-built runtime image, with
/// host networking and a loopback port the runtime announces (docs/architecture.md §2, Docker in tests).
/// </summary>
[Trait("Category", "Docker")]
public sealed class DockerContainerFactoryTests : IAsyncLifetime
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    /// <summary>Unique per test instance, so that tests running at once never sweep each other's containers.</summary>
    private readonly string _prefix = $"wsktest{Guid.NewGuid():N}"[..15] + "_";

    private readonly DockerClient _docker = DockerTestImages.NewClient();
    private DockerContainerFactory _factory = null!;

    // xunit constructs the class only for tests that run, so a skipped test never builds the image.
    public async Task InitializeAsync()
    {
        await DockerTestImages.EnsureBuiltAsync();
        _factory = NewFactory(_prefix);
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        Assert.Equal(0, _factory.LiveCount);
        _docker.Dispose();
    }

    private static DockerContainerFactory NewFactory(string prefix) => new(new DockerContainerFactoryOptions
    {
        RuntimeImage = DockerTestImages.NodeRuntime,
        NamePrefix = prefix,
        Network = DockerNetwork.Host,
        UserMemoryMegabytes = 1024,
        ApiHost = "http://127.0.0.1:3233",
    });

    private ContainerSpec Spec(int concurrency = 1, string? prefix = null) =>
        new() { Name = (prefix ?? _prefix) + Guid.NewGuid().ToString("N")[..6] + "_guest_hello", Kind = "nodejs:20", MemoryMegabytes = 128, Concurrency = concurrency };

    private async Task<ContainerInspectResponse> InspectAsync(IContainer container) =>
        await _docker.Containers.InspectContainerAsync(container.Id);

    [DockerFact]
    public async Task Container_ListensOnAnAnnouncedLoopbackPort_AndServesInitAndRun()
    {
        IContainer container = await _factory.CreateAsync(Spec(), CancellationToken.None);
        using var client = new ActionClient(container.EndPoint, 1);

        ActionResponse init = await client.InitAsync(Activations.Init("function main(p) { return {greeting: 'Hello, ' + p.name, api: process.env.__OW_API_HOST}; }"), s_timeout);
        ActionResponse run = await client.RunAsync(Activations.Run(ActivationId.NewId(), """{"name":"John"}"""), s_timeout);

        Assert.True(init.IsSuccess);
        Assert.True(run.IsSuccess);
        Assert.Equal("""{"greeting":"Hello, John","api":"http://127.0.0.1:3233"}""", run.Result.ToString());
        Assert.StartsWith("127.0.0.1:", container.EndPoint.ToString());
    }

    [DockerFact]
    public async Task Container_IsCreatedWithOpenWhisksLimits()
    {
        IContainer container = await _factory.CreateAsync(Spec(concurrency: 3), CancellationToken.None);

        ContainerInspectResponse inspected = await InspectAsync(container);

        HostConfig host = inspected.HostConfig!;
        Assert.Equal(128L << 20, host.Memory);
        Assert.Equal(128L << 20, host.MemorySwap);
        Assert.Equal(128, host.CPUShares);
        Assert.Equal(1024, host.PidsLimit);
        Ulimit nofile = Assert.Single(host.Ulimits!);
        Assert.Equal(("nofile", 1024L, 1024L), (nofile.Name, nofile.Soft, nofile.Hard));
        Assert.Equal(["NET_RAW", "NET_ADMIN"], host.CapDrop);
        Assert.Equal("host", host.NetworkMode);
        Assert.Contains("__OW_ALLOW_CONCURRENT=true", inspected.Config!.Env!);
        Assert.Contains("__OW_API_HOST=http://127.0.0.1:3233", inspected.Config!.Env!);
        Assert.StartsWith("/" + _prefix, inspected.Name, StringComparison.Ordinal);
    }

    [DockerFact]
    public async Task ConcurrentContainer_ServesOverlappingRuns_AndAttributesEachOnesLogLines()
    {
        const int n = 5;
        IContainer container = await _factory.CreateAsync(Spec(concurrency: n), CancellationToken.None);
        using var client = new ActionClient(container.EndPoint, n);
        // Each run answers only once all n have arrived in the one container: they overlapped (docs/openwhisk.md §8).
        await client.InitAsync(Activations.Init("""
            let waiting = [];
            function main(p) {
              return new Promise(resolve => {
                waiting.push(resolve);
                console.log('arrived ' + waiting.length);
                if (waiting.length === p.n) { waiting.forEach(r => r({all: p.n})); waiting = []; }
              });
            }
            """), s_timeout);

        ActivationId[] ids = [.. Enumerable.Range(0, n).Select(_ => ActivationId.NewId())];
        ActionResponse[] runs = await Task.WhenAll(ids.Select(id => client.RunAsync(Activations.Run(id, $$"""{"n":{{n}}}"""), s_timeout).AsTask()));

        Assert.All(runs, run => Assert.Equal($$"""{"all":{{n}}}""", run.Result.ToString()));
        var unseen = new HashSet<string>(ids.Select(id => id.ToString()));
        using var guard = new CancellationTokenSource(s_timeout);
        while (unseen.Count > 0 && await container.Output.WaitToReadAsync(guard.Token))
        {
            while (container.Output.TryRead(out OutputLine line))
            {
                if (line.Stream == OutputStream.Stdout && line.Text.Split(' ') is [var tag, "arrived", _])
                {
                    unseen.Remove(tag);
                }
            }
        }

        Assert.Empty(unseen);
    }

    [DockerFact]
    public async Task Pause_FreezesTheContainer_AndResumeServesAgain()
    {
        IContainer container = await _factory.CreateAsync(Spec(), CancellationToken.None);
        using var client = new ActionClient(container.EndPoint, 1);
        await client.InitAsync(Activations.Init("function main() { return {ok: true}; }"), s_timeout);

        await container.PauseAsync();
        Assert.True((await InspectAsync(container)).State!.Paused);
        await container.ResumeAsync();
        Assert.False((await InspectAsync(container)).State!.Paused);

        ActionResponse run = await client.RunAsync(Activations.Run(ActivationId.NewId()), s_timeout);
        Assert.Equal("""{"ok":true}""", run.Result.ToString());
    }

    [DockerFact]
    public async Task Destroy_RemovesTheContainer_EvenWhenPaused_AndIsIdempotent()
    {
        IContainer container = await _factory.CreateAsync(Spec(), CancellationToken.None);
        await container.PauseAsync();

        await container.DestroyAsync();
        await container.DestroyAsync();

        Assert.True(container.Exited.IsCompleted);
        Assert.False(container.WasOutOfMemory);
        await Assert.ThrowsAsync<DockerContainerNotFoundException>(() => InspectAsync(container));
        Assert.Equal(0, _factory.LiveCount);
    }

    [DockerFact]
    public async Task PauseAndResume_OfAContainerThatIsGone_AreNoOps()
    {
        IContainer container = await _factory.CreateAsync(Spec(), CancellationToken.None);
        await _docker.Containers.RemoveContainerAsync(container.Id, new ContainerRemoveParameters { Force = true });
        await container.Exited.WaitAsync(s_timeout);

        await container.PauseAsync();
        await container.ResumeAsync();
        await container.DestroyAsync();

        Assert.Equal(0, _factory.LiveCount);
    }

    [DockerFact]
    public async Task LeftoversOfACrashedInvoker_AreRemovedAtTheNextStart_AndOtherInvokersContainersAreKept()
    {
        string otherPrefix = $"wsktest{Guid.NewGuid():N}"[..15] + "_";
        var crashed = NewFactory(_prefix);
        await using var other = NewFactory(otherPrefix);
        IContainer orphan = await crashed.CreateAsync(Spec(), CancellationToken.None);
        IContainer kept = await other.CreateAsync(Spec(prefix: otherPrefix), CancellationToken.None);

        // _factory has the crashed one's prefix: it plays the restarted invoker.
        await _factory.RemoveLeftoversAsync(CancellationToken.None);

        await orphan.Exited.WaitAsync(s_timeout);
        await Assert.ThrowsAsync<DockerContainerNotFoundException>(() => InspectAsync(orphan));
        Assert.True((await InspectAsync(kept)).State!.Running);
        await crashed.DisposeAsync();
    }

    [DockerFact]
    public async Task AnImageThatDoesNotExist_FailsToProvision_AndLeavesNothingBehind()
    {
        ContainerSpec spec = Spec() with { Kind = "blackbox", Image = "perf-invoker-no-such-image:none" };

        await Assert.ThrowsAsync<ContainerStartException>(() => _factory.CreateAsync(spec, CancellationToken.None).AsTask());

        Assert.Equal(0, _factory.LiveCount);
        await Assert.ThrowsAsync<DockerContainerNotFoundException>(() => _docker.Containers.InspectContainerAsync(spec.Name));
    }

    [DockerFact]
    public async Task ARuntimeThatExitsBeforeListening_FailsToProvision_AndIsRemoved()
    {
        // The runtime refuses a log mode it does not know and exits with code 2 (runtimes/nodejs/README.md).
        await using var broken = new DockerContainerFactory(new DockerContainerFactoryOptions
        {
            RuntimeImage = DockerTestImages.NodeRuntime,
            NamePrefix = _prefix,
            Network = DockerNetwork.Host,
            ConcurrentLogMode = "verbose",
        });
        ContainerSpec spec = Spec(concurrency: 2);

        var e = await Assert.ThrowsAsync<ContainerStartException>(() => broken.CreateAsync(spec, CancellationToken.None).AsTask());

        Assert.Contains("exited before listening", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, broken.LiveCount);
        await Assert.ThrowsAsync<DockerContainerNotFoundException>(() => _docker.Containers.InspectContainerAsync(spec.Name));
    }
}
