using Perf.Invoker.Metrics;
using Perf.Invoker.Model;

namespace Perf.Invoker.Tests.Metrics;

[Trait("Category", "Unit")]
public sealed class InvokerMetricsTests
{
    [Fact]
    public void Histogram_BucketsAreCumulative_AndSumAndCountCoverEveryObservation()
    {
        var histogram = new LatencyHistogram();
        foreach (long millis in new long[] { -3, 0, 1, 2, 3, 60_000, 60_001 })
        {
            histogram.Observe(millis);
        }

        Span<long> cumulative = stackalloc long[LatencyHistogram.BucketCount];
        long count = histogram.CopyCumulative(cumulative);

        // Bounds: 1, 2, 5, 10, …, 30000, 60000 ms, then +Inf; a negative observation (clock step) counts as 0.
        Assert.Equal(new long[] { 3, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 6, 7 }, cumulative.ToArray());
        Assert.Equal(7, count);
        Assert.Equal(120_007, histogram.SumMillis);
    }

    [Fact]
    public void Counters_CountEachStatus_AndAnUnknownCodeAsAWhiskError()
    {
        var metrics = new InvokerMetrics();
        metrics.CountStatus(0);
        metrics.CountStatus(1);
        metrics.CountStatus(1);
        metrics.CountStatus(2);
        metrics.CountStatus(3);
        metrics.CountStatus(42);

        Assert.Equal(1, metrics.Completed(ActivationStatus.Success));
        Assert.Equal(2, metrics.Completed(ActivationStatus.ApplicationError));
        Assert.Equal(1, metrics.Completed(ActivationStatus.DeveloperError));
        Assert.Equal(2, metrics.Completed(ActivationStatus.WhiskError));
    }

    [Fact]
    public void RecordingAnActivation_AllocatesNothing()
    {
        var metrics = new InvokerMetrics();
        Record(metrics, 0);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100_000; i++)
        {
            Record(metrics, i);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(0, metrics.InFlight);
        Assert.Equal(25_001, metrics.Completed(ActivationStatus.Success));
    }

    /// <summary>What ActivationInvoker does per activation: in flight, latencies, status, done.</summary>
    private static void Record(InvokerMetrics metrics, int i)
    {
        metrics.ActivationStarted();
        metrics.ObserveLatencies(i % 70_000, i % 2 == 0 ? i % 5000 : null, i % 3 == 0 ? null : i % 100);
        metrics.CountStatus(i % 4);
        metrics.ActivationEnded();
    }
}
