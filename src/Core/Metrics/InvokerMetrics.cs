using Perf.Invoker.Model;

namespace Perf.Invoker.Metrics;

/// <summary>
/// What the activation path counts (docs/metrics.md): activations by status, activations in flight, and wait, init
/// and run latencies. Every update is an interlocked instruction on a preallocated field: no lock and no allocation
/// on the activation path. Gauges of the pool and the feed are not here: they are read when scraped
/// (<see cref="Exposition.InvokerMetricsWriter"/>), so they cost the activation path nothing.
/// </summary>
public sealed class InvokerMetrics
{
    /// <summary>Activations by <see cref="ActivationStatus"/> (0 to 3, docs/openwhisk.md §4); only ever grow.</summary>
    private readonly long[] _byStatus = new long[StatusCount];

    /// <summary>Activations inside <c>ActivationInvoker.InvokeAsync</c>; ≥ 0 whenever no update is mid-way.</summary>
    private long _inFlight;

    /// <summary>The statuses of docs/openwhisk.md §4: success, application, developer and whisk error.</summary>
    public const int StatusCount = 4;

    /// <summary>From the transaction's start to the start of /init (cold) or /run (warm): the record's <c>waitTime</c>.</summary>
    public LatencyHistogram Wait { get; } = new();

    /// <summary>The /init of cold starts: the record's <c>initTime</c>.</summary>
    public LatencyHistogram Init { get; } = new();

    /// <summary>From the start of /run to its answer, for activations that reached /run.</summary>
    public LatencyHistogram Run { get; } = new();

    public long InFlight => Interlocked.Read(ref _inFlight);

    /// <summary>Activations that ended with <paramref name="status"/>.</summary>
    public long Completed(ActivationStatus status) => Interlocked.Read(ref _byStatus[(int)status]);

    public void ActivationStarted() => Interlocked.Increment(ref _inFlight);

    public void ActivationEnded() => Interlocked.Decrement(ref _inFlight);

    /// <summary>Counts a record by its status code; a code outside docs/openwhisk.md §4 counts as a whisk error, as it is one.</summary>
    public void CountStatus(int statusCode)
    {
        int index = (uint)statusCode < StatusCount ? statusCode : (int)ActivationStatus.WhiskError;
        Interlocked.Increment(ref _byStatus[index]);
    }

    /// <summary>The latencies of one activation; <paramref name="initMillis"/> only for a cold start, <paramref name="runMillis"/> only when /run ran.</summary>
    public void ObserveLatencies(long waitMillis, long? initMillis, long? runMillis)
    {
        Wait.Observe(waitMillis);
        if (initMillis is { } init)
        {
            Init.Observe(init);
        }

        if (runMillis is { } run)
        {
            Run.Observe(run);
        }
    }
}
