using Perf.Invoker.Json;
using Perf.Invoker.Store;

namespace Perf.Invoker.Tests.Store;

[Trait("Category", "Unit")]
public sealed class ActivationStorePolicyTests
{
    [Theory]
    [InlineData("STORE_ALWAYS", 0, true)]
    [InlineData("STORE_ALWAYS", 1, true)]
    [InlineData("STORE_FAILURES", 0, false)]
    [InlineData("STORE_FAILURES", 1, true)]
    [InlineData("STORE_FAILURES", 2, true)]
    [InlineData("STORE_FAILURES", 3, true)]
    [InlineData("STORE_FAILURES_NOT_APPLICATION_ERRORS", 0, false)]
    [InlineData("STORE_FAILURES_NOT_APPLICATION_ERRORS", 1, false)]
    [InlineData("STORE_FAILURES_NOT_APPLICATION_ERRORS", 2, true)]
    [InlineData("STORE_FAILURES_NOT_APPLICATION_ERRORS", 3, true)]
    public void ALevel_StoresTheStatusCodesOpenWhiskStores(string level, int statusCode, bool stored)
    {
        ActivationStoreLevel parsed = ActivationStorePolicy.ParseLevel(level);
        var blockingOnly = new ActivationStorePolicy(parsed, ActivationStoreLevel.StoreAlways);
        var nonBlockingOnly = new ActivationStorePolicy(ActivationStoreLevel.StoreAlways, parsed);

        Assert.Equal(stored, blockingOnly.ShouldStore(statusCode, blocking: true, extraLogging: false, RawJson.EmptyObject));
        Assert.True(blockingOnly.ShouldStore(statusCode, blocking: false, extraLogging: false, RawJson.EmptyObject));
        Assert.Equal(stored, nonBlockingOnly.ShouldStore(statusCode, blocking: false, extraLogging: false, RawJson.EmptyObject));
        Assert.True(nonBlockingOnly.ShouldStore(statusCode, blocking: true, extraLogging: false, RawJson.EmptyObject));
    }

    [Fact]
    public void ExtraLogging_StoresWhateverTheLevel()
    {
        var failuresOnly = new ActivationStorePolicy(ActivationStoreLevel.StoreFailures, ActivationStoreLevel.StoreFailures);

        Assert.True(failuresOnly.ShouldStore(0, blocking: true, extraLogging: true, RawJson.EmptyObject));
    }

    [Theory]
    [InlineData("""{"storeActivations":false}""", false)]
    [InlineData("""{"concurrentInvocations":10,"storeActivations":false}""", false)]
    [InlineData("""{"storeActivations":true}""", true)]
    [InlineData("""{"concurrentInvocations":10}""", true)]
    [InlineData("{}", true)]
    [InlineData("", true)]
    public void TheUsersStoreActivationsLimit_WinsOverEverything(string limits, bool stored)
    {
        RawJson json = limits.Length == 0 ? default : RawJson.Parse(limits);

        Assert.Equal(stored, ActivationStorePolicy.Always.ShouldStore(3, blocking: false, extraLogging: true, json));
    }

    [Fact]
    public void AnUnknownLevel_IsAFormatError()
    {
        Assert.Throws<FormatException>(() => ActivationStorePolicy.ParseLevel("store_always"));
    }
}
