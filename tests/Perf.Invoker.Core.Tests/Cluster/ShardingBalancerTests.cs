namespace Perf.Invoker.Tests.Cluster;

/// <summary>The stand-in's routing against ShardingContainerPoolBalancer's rules (docs/cluster.md, routing).</summary>
[Trait("Category", "Unit")]
public sealed class ShardingBalancerTests
{
    private static readonly InvokerState[] s_allHealthy = [InvokerState.Healthy, InvokerState.Healthy, InvokerState.Healthy];

    [Fact]
    public void TheHash_IsJavasStringHashCode_XoredAndMadePositive()
    {
        Assert.Equal(99162322, ShardingBalancer.JavaHashCode("hello"));
        Assert.Equal(3105, ShardingBalancer.JavaHashCode("ab"));
        Assert.Equal(int.MinValue, ShardingBalancer.JavaHashCode("polygenelubricants"));
        Assert.Equal(Math.Abs(ShardingBalancer.JavaHashCode("guest") ^ ShardingBalancer.JavaHashCode("guest/hello")), ShardingBalancer.Hash("guest", "guest/hello"));
    }

    [Theory]
    [InlineData(1, new[] { 1 })]
    [InlineData(3, new[] { 1, 2 })]
    [InlineData(4, new[] { 1, 3 })]
    [InlineData(10, new[] { 1, 3, 7 })]
    public void TheStepSizes_ArePairwiseCoprimeAndCoprimeToTheInvokerCount(int invokers, int[] steps) =>
        Assert.Equal(steps, ShardingBalancer.CoprimeStepSizes(invokers));

    [Fact]
    public void AnActivation_GoesToItsHomeInvoker_AndOnlyWhenThatIsFullOneStepOn()
    {
        var balancer = new ShardingBalancer(new Random(1));
        balancer.Grow([512, 512, 512]);
        int hash = ShardingBalancer.Hash("guest", "guest/hello");
        int home = hash % 3;
        int step = ShardingBalancer.CoprimeStepSizes(3)[hash % 2];

        Assert.Equal(home, balancer.Schedule(s_allHealthy, "guest", "guest/hello", 256, 1));
        Assert.Equal(home, balancer.Schedule(s_allHealthy, "guest", "guest/hello", 256, 1));
        Assert.Equal((home + step) % 3, balancer.Schedule(s_allHealthy, "guest", "guest/hello", 256, 1));

        balancer.Release(home, "guest/hello", 256, 1);
        Assert.Equal(home, balancer.Schedule(s_allHealthy, "guest", "guest/hello", 256, 1));
    }

    [Fact]
    public void OnlyHealthyInvokers_AreChosen_AndNoneHealthyIsNoInvoker()
    {
        var balancer = new ShardingBalancer(new Random(1));
        balancer.Grow([2048, 2048, 2048]);
        InvokerState[] oneHealthy = [InvokerState.Unhealthy, InvokerState.Healthy, InvokerState.Offline];

        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(1, balancer.Schedule(oneHealthy, "guest", $"guest/a{i}", 128, 1));
        }

        Assert.Null(balancer.Schedule([InvokerState.Unhealthy, InvokerState.Unresponsive, InvokerState.Offline], "guest", "guest/a", 128, 1));
    }

    [Fact]
    public void WhenEveryInvokerIsFull_ARandomHealthyOneIsForced()
    {
        var balancer = new ShardingBalancer(new Random(1));
        balancer.Grow([256, 256]);
        InvokerState[] states = [InvokerState.Healthy, InvokerState.Healthy];
        int? first = balancer.Schedule(states, "guest", "guest/a", 256, 1);
        int? second = balancer.Schedule(states, "guest", "guest/a", 256, 1);
        Assert.NotEqual(first, second);

        int forced = balancer.Schedule(states, "guest", "guest/a", 256, 1)!.Value;

        Assert.Equal(-256, balancer.FreeMegabytes(forced));
    }

    [Fact]
    public void AConcurrentAction_TakesItsMemoryOncePerContainersWorthOfActivations()
    {
        var balancer = new ShardingBalancer(new Random(1));
        balancer.Grow([1024]);
        InvokerState[] states = [InvokerState.Healthy];
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(0, balancer.Schedule(states, "guest", "guest/c", 256, 5));
        }

        Assert.Equal(512, balancer.FreeMegabytes(0));
        for (int i = 0; i < 5; i++)
        {
            balancer.Release(0, "guest/c", 256, 5);
        }

        Assert.Equal(768, balancer.FreeMegabytes(0));
        for (int i = 0; i < 5; i++)
        {
            balancer.Release(0, "guest/c", 256, 5);
        }

        Assert.Equal(1024, balancer.FreeMegabytes(0));
    }
}
