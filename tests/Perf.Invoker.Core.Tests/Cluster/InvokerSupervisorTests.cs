using Microsoft.Extensions.Time.Testing;

namespace Perf.Invoker.Tests.Cluster;

/// <summary>The stand-in's InvokerActor against OpenWhisk's rules (docs/cluster.md, health supervision), driven by fake pings and acks.</summary>
[Trait("Category", "Unit")]
public sealed class InvokerSupervisorTests
{
    private static readonly SupervisionTimes s_times = new(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60));

    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UnixEpoch);
    private int _testActions;

    [Fact]
    public void AFreshInvoker_IsUnhealthyAndProbedAtOnce_AndHealthyOnItsFirstSuccess()
    {
        InvokerSupervisor invoker = Register();

        Assert.Equal(InvokerState.Unhealthy, invoker.State);
        Assert.Equal(1, _testActions);
        invoker.Finished(InvocationResult.Success);
        Assert.Equal(InvokerState.Healthy, invoker.State);
        Assert.Equal(2, _testActions); // a success while Unhealthy probes again at once
    }

    [Fact]
    public void ASystemErrorOfAFreshInvoker_KeepsItUnhealthy_WithoutAnotherProbe()
    {
        InvokerSupervisor invoker = Register();

        invoker.Finished(InvocationResult.SystemError);

        Assert.Equal(InvokerState.Unhealthy, invoker.State);
        Assert.Equal(1, _testActions);
    }

    [Fact]
    public void FourSystemErrorsInTheLastTen_MakeItUnhealthy_AndSevenSuccessesMakeItHealthyAgain()
    {
        InvokerSupervisor invoker = Healthy();
        for (int i = 0; i < 9; i++)
        {
            invoker.Finished(InvocationResult.Success);
        }

        for (int i = 0; i < 3; i++)
        {
            invoker.Finished(InvocationResult.SystemError);
            Assert.Equal(InvokerState.Healthy, invoker.State);
        }

        invoker.Finished(InvocationResult.SystemError);
        Assert.Equal(InvokerState.Unhealthy, invoker.State);

        // The buffer (10) holds 6 successes and 4 errors; the errors fall to 3 only once 7 more successes push one out.
        for (int i = 0; i < 6; i++)
        {
            invoker.Finished(InvocationResult.Success);
            Assert.Equal(InvokerState.Unhealthy, invoker.State);
        }

        invoker.Finished(InvocationResult.Success);
        Assert.Equal(InvokerState.Healthy, invoker.State);
    }

    [Fact]
    public void ASystemErrorWhileTheBufferHoldsThreeOrFewer_TakesAHealthyInvokerBackToUnhealthy()
    {
        InvokerSupervisor invoker = Healthy();

        invoker.Finished(InvocationResult.SystemError);

        Assert.Equal(InvokerState.Unhealthy, invoker.State);
    }

    [Fact]
    public void FourTimeouts_MakeItUnresponsive_WhichProbesOnlyOnTheTick()
    {
        InvokerSupervisor invoker = Healthy();
        for (int i = 0; i < 9; i++)
        {
            invoker.Finished(InvocationResult.Success);
        }

        for (int i = 0; i < 4; i++)
        {
            invoker.Finished(InvocationResult.Timeout);
        }

        Assert.Equal(InvokerState.Unresponsive, invoker.State);
        int probes = _testActions;
        invoker.Finished(InvocationResult.Success);
        Assert.Equal(probes, _testActions);

        Elapse(TimeSpan.FromSeconds(9), invoker);
        invoker.Ping(isEnabled: true);
        Elapse(TimeSpan.FromSeconds(9), invoker);
        invoker.Ping(isEnabled: true);
        Elapse(TimeSpan.FromSeconds(9), invoker);
        invoker.Ping(isEnabled: true);
        Elapse(TimeSpan.FromSeconds(9), invoker);
        invoker.Ping(isEnabled: true);
        Assert.Equal(probes, _testActions);
        Elapse(TimeSpan.FromSeconds(9), invoker); // 45 s since it became Unresponsive
        invoker.Ping(isEnabled: true);
        Elapse(TimeSpan.FromSeconds(9), invoker);
        invoker.Ping(isEnabled: true);
        Elapse(TimeSpan.FromSeconds(9), invoker);
        Assert.Equal(probes + 1, _testActions);
        Assert.Equal(InvokerState.Unresponsive, invoker.State);
    }

    [Fact]
    public void NothingHeardForTheStateTimeout_TakesItOffline_AndAPingBringsItBackAsUnhealthy()
    {
        InvokerSupervisor invoker = Healthy();
        Elapse(TimeSpan.FromSeconds(9), invoker);
        invoker.Ping(isEnabled: true);
        Elapse(TimeSpan.FromSeconds(9), invoker);
        Assert.Equal(InvokerState.Healthy, invoker.State);

        Elapse(TimeSpan.FromSeconds(1), invoker);
        Assert.Equal(InvokerState.Offline, invoker.State);
        Elapse(TimeSpan.FromMinutes(5), invoker);
        Assert.Equal(InvokerState.Offline, invoker.State);

        int probes = _testActions;
        invoker.Ping(isEnabled: true);
        Assert.Equal(InvokerState.Unhealthy, invoker.State);
        Assert.Equal(probes + 1, _testActions);
    }

    [Fact]
    public void AnAckInOffline_IsBufferedButLeavesItOffline()
    {
        InvokerSupervisor invoker = Healthy();
        Elapse(TimeSpan.FromSeconds(10), invoker);

        invoker.Finished(InvocationResult.Success);

        Assert.Equal(InvokerState.Offline, invoker.State);
    }

    [Fact]
    public void APingSayingDisabled_TakesItOffline_WhereOnlyAnEnabledPingBringsItBack()
    {
        InvokerSupervisor invoker = Healthy();

        invoker.Ping(isEnabled: false);
        Assert.Equal(InvokerState.Offline, invoker.State);
        invoker.Ping(isEnabled: false);
        Assert.Equal(InvokerState.Offline, invoker.State);
        invoker.Ping(isEnabled: true);
        Assert.Equal(InvokerState.Unhealthy, invoker.State);
        invoker.Finished(InvocationResult.Success);
        Assert.Equal(InvokerState.Healthy, invoker.State);
    }

    [Fact]
    public void AnUnhealthyInvoker_IsProbedOnEveryTick_AndStillGoesOfflineWhenSilent()
    {
        var times = new SupervisionTimes(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1));
        var invoker = new InvokerSupervisor(times, _clock, () => _testActions++);
        for (int second = 1; second <= 9; second++)
        {
            Elapse(TimeSpan.FromSeconds(1), invoker);
            Assert.Equal(1 + second, _testActions);
        }

        Elapse(TimeSpan.FromSeconds(1), invoker);
        Assert.Equal(InvokerState.Offline, invoker.State);
        Elapse(TimeSpan.FromSeconds(5), invoker);
        Assert.Equal(10, _testActions);
    }

    private InvokerSupervisor Register() => new(s_times, _clock, () => _testActions++);

    private InvokerSupervisor Healthy()
    {
        InvokerSupervisor invoker = Register();
        invoker.Finished(InvocationResult.Success);
        Assert.Equal(InvokerState.Healthy, invoker.State);
        return invoker;
    }

    /// <summary>Moves the clock on a second at a time, looking at it each step as the stand-in's 100 ms clock would.</summary>
    private void Elapse(TimeSpan span, InvokerSupervisor invoker)
    {
        for (TimeSpan step = TimeSpan.FromSeconds(1); span > TimeSpan.Zero; span -= step)
        {
            _clock.Advance(step < span ? step : span);
            invoker.Clock();
        }
    }
}
