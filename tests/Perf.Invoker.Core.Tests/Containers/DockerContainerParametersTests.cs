using Perf.Invoker.Containers;

namespace Perf.Invoker.Tests.Containers;

[Trait("Category", "Unit")]
public sealed class DockerContainerParametersTests
{
    private static DockerContainerFactoryOptions Options(DockerNetwork network) =>
        new() { RuntimeImage = "runtime:1", NamePrefix = "wsk0_", Network = network, UserMemoryMegabytes = 2048, ApiHost = "https://api" };

    private static ContainerSpec Spec(int concurrency = 1, int memory = 256) =>
        new() { Name = "wsk0_1_guest_hello", Kind = "nodejs:20", MemoryMegabytes = memory, Concurrency = concurrency, Environment = [new("EXTRA", "1")] };

    [Theory]
    [InlineData(2048, 256, 128)]
    [InlineData(2048, 2048, 1024)]
    [InlineData(2048, 384, 192)]
    [InlineData(65536, 128, 2)]
    [InlineData(1_000_000, 128, 2)]
    public void CpuShares_FollowOpenWhisksFormula_WithAFloorOfTwo(long userMemory, int actionMemory, long expected) =>
        Assert.Equal(expected, DockerContainerParameters.CpuShares(userMemory, actionMemory));

    [Fact]
    public void BridgeContainer_ListensOnEveryInterfaceOnPort8080_WithoutSwap()
    {
        var p = DockerContainerParameters.For(Spec(), Options(DockerNetwork.Bridge));

        Assert.Equal("bridge", p.HostConfig!.NetworkMode);
        Assert.Equal(["__OW_API_HOST=https://api", "EXTRA=1", "OW_RUNTIME_HOST=0.0.0.0", "OW_RUNTIME_PORT=8080"], p.Env);
        Assert.Equal(256L << 20, p.HostConfig.Memory);
        Assert.Equal(p.HostConfig.Memory, p.HostConfig.MemorySwap);
        Assert.Equal("runtime:1", p.Image);
        Assert.Equal("wsk0_1_guest_hello", p.Name);
    }

    [Fact]
    public void AKindTheManifestNames_RunsItsImage_AnyOtherKindTheRuntimeImage()
    {
        DockerContainerFactoryOptions options = new()
        {
            RuntimeImage = "runtime:1",
            RuntimeImages = new Dictionary<string, string> { ["nodejs:20"] = "openwhisk/action-nodejs-v20:nightly" },
            NamePrefix = "wsk0_",
        };

        Assert.Equal("openwhisk/action-nodejs-v20:nightly", DockerContainerParameters.For(Spec(), options).Image);
        Assert.Equal("runtime:1", DockerContainerParameters.For(Spec() with { Kind = "nodejs:18" }, options).Image);
        Assert.Equal("my/blackbox:1", DockerContainerParameters.For(Spec() with { Kind = "blackbox", Image = "my/blackbox:1" }, options).Image);
    }

    [Fact]
    public void HostContainer_ListensOnLoopback_OnAPortTheRuntimePicks()
    {
        var p = DockerContainerParameters.For(Spec(), Options(DockerNetwork.Host));

        Assert.Equal("host", p.HostConfig!.NetworkMode);
        Assert.Contains("OW_RUNTIME_HOST=127.0.0.1", p.Env);
        Assert.Contains("OW_RUNTIME_PORT=0", p.Env);
    }

    [Fact]
    public void ConcurrentAction_IsAllowedOverlappingRuns_WithTaggedLogs()
    {
        var p = DockerContainerParameters.For(Spec(concurrency: 10), Options(DockerNetwork.Bridge));

        Assert.Contains("__OW_ALLOW_CONCURRENT=true", p.Env);
        Assert.Contains("OW_LOG_MODE=structured", p.Env);
    }

    [Fact]
    public void ActionOfConcurrencyOne_IsNotToldAboutConcurrency()
    {
        var p = DockerContainerParameters.For(Spec(), Options(DockerNetwork.Bridge));

        Assert.DoesNotContain(p.Env, e => e.StartsWith("__OW_ALLOW_CONCURRENT", StringComparison.Ordinal) || e.StartsWith("OW_LOG_MODE", StringComparison.Ordinal));
    }

    [Fact]
    public void BlackboxAction_RunsItsOwnImage() =>
        Assert.Equal("me/mine:2", DockerContainerParameters.For(Spec() with { Kind = "blackbox", Image = "me/mine:2" }, Options(DockerNetwork.Bridge)).Image);
}
