using System.Diagnostics;

namespace Perf.Invoker.Metrics;

/// <summary>
/// A latency histogram with fixed buckets from 1 ms to 60 s (the longest default action timeout is 60 s, docs/openwhisk.md §7).
/// Observing is one bucket search and two interlocked adds on preallocated fields: no lock, no allocation, so it can sit
/// on the activation path. Counts are kept per bucket and made cumulative only when written (Prometheus <c>le</c>).
/// </summary>
public sealed class LatencyHistogram
{
    /// <summary>Upper bounds in milliseconds, ascending; a last, implicit bucket takes everything above (<c>+Inf</c>).</summary>
    private static readonly long[] s_boundsMillis = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000];

    /// <summary>Observations per bucket (not cumulative); one more than the bounds, the last being <c>+Inf</c>. Only ever grow.</summary>
    private readonly long[] _counts = new long[s_boundsMillis.Length + 1];

    /// <summary>Sum of every observation in milliseconds; written after its bucket, so a scrape may see it one observation behind.</summary>
    private long _sumMillis;

    /// <summary>The bucket bounds in milliseconds, ascending, without <c>+Inf</c>.</summary>
    public static ReadOnlySpan<long> BoundsMillis => s_boundsMillis;

    /// <summary>Counts one observation; a negative one (clock step) counts as 0.</summary>
    public void Observe(long millis)
    {
        millis = Math.Max(0, millis);
        int bucket = 0;
        while (bucket < s_boundsMillis.Length && millis > s_boundsMillis[bucket])
        {
            bucket++;
        }

        Interlocked.Increment(ref _counts[bucket]);
        Interlocked.Add(ref _sumMillis, millis);
    }

    public long SumMillis => Interlocked.Read(ref _sumMillis);

    /// <summary>
    /// Copies the cumulative counts (one per bound, then <c>+Inf</c>) into <paramref name="cumulative"/> and returns the
    /// total. Buckets are read one by one while others may observe, so the total is that of the counts read, and the
    /// cumulative series never decreases.
    /// </summary>
    public long CopyCumulative(Span<long> cumulative)
    {
        Debug.Assert(cumulative.Length == _counts.Length, "one slot per bucket, +Inf included");
        long total = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            total += Interlocked.Read(ref _counts[i]);
            cumulative[i] = total;
        }

        return total;
    }

    /// <summary>Buckets including <c>+Inf</c>.</summary>
    public static int BucketCount => s_boundsMillis.Length + 1;
}
