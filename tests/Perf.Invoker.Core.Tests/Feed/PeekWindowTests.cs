using Perf.Invoker.Feed;

namespace Perf.Invoker.Tests.Feed;

/// <summary>docs/openwhisk.md §7: maxContainers = userMemory / 128 MB; maxPeek = max(maxContainers, floor(maxContainers × concurrency.max × peekFactor)).</summary>
[Trait("Category", "Unit")]
public sealed class PeekWindowTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(127, 0)]
    [InlineData(128, 1)]
    [InlineData(2048, 16)]
    [InlineData(2049, 16)]
    [InlineData(32768, 256)]
    public void MaxContainers_IsUserMemoryOver128MegabytesRoundedDown(long userMemory, long expected) =>
        Assert.Equal(expected, PeekWindow.MaxContainers(userMemory));

    [Theory]
    [InlineData(2048, 1, 0.5, 16)] // concurrency off (OpenWhisk's default max 1): one per container
    [InlineData(2048, 500, 0.5, 4000)] // OpenWhisk's local deployment: max 500
    [InlineData(384, 3, 0.5, 4)] // floor(3 × 3 × 0.5) = floor(4.5)
    [InlineData(2048, 2, 0.5, 16)] // the concurrent term equals maxContainers
    [InlineData(2048, 10, 0.1, 16)] // a factor that shrinks below maxContainers keeps maxContainers
    [InlineData(2048, 10, 1.0, 160)]
    [InlineData(2048, 10, 0.0, 16)]
    [InlineData(100, 500, 0.5, 0)] // no container fits: the feed refuses this window
    public void MaxPeek_FollowsTheOpenWhiskFormula(long userMemory, int concurrencyMax, double peekFactor, int expected) =>
        Assert.Equal(expected, PeekWindow.MaxPeek(userMemory, concurrencyMax, peekFactor));

    [Fact]
    public void MaxPeek_DefaultsThePeekFactorToOneHalf() =>
        Assert.Equal(PeekWindow.MaxPeek(4096, 200, 0.5), PeekWindow.MaxPeek(4096, 200));

    [Fact]
    public void MaxPeek_ThatWouldOverflowAnInt_IsCappedAtIntMaxValue() =>
        Assert.Equal(int.MaxValue, PeekWindow.MaxPeek(long.MaxValue, int.MaxValue, 1.0));

    [Theory]
    [InlineData(2048, 16)]
    [InlineData(100, 0)]
    [InlineData(long.MaxValue, int.MaxValue)]
    public void NonConcurrentMaxPeek_BesideAConcurrentTopic_IsOneActivationPerContainer(long userMemory, int expected) =>
        Assert.Equal(expected, PeekWindow.NonConcurrentMaxPeek(userMemory));

    [Theory]
    [InlineData(-1, 1, 0.5)]
    [InlineData(2048, 0, 0.5)]
    [InlineData(2048, 1, -0.5)]
    [InlineData(2048, 1, double.NaN)]
    [InlineData(2048, 1, double.PositiveInfinity)]
    public void MaxPeek_WithAnInvalidArgument_Throws(long userMemory, int concurrencyMax, double peekFactor) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => PeekWindow.MaxPeek(userMemory, concurrencyMax, peekFactor));
}
