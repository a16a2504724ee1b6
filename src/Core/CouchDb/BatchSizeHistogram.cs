namespace Perf.Invoker.CouchDb;

/// <summary>
/// How many <c>_bulk_docs</c> requests carried each number of documents (1 to <see cref="CouchActivationStore.MaxBatchDocuments"/>):
/// the median shows whether group commit batches (docs/cluster.md, "Activation records"). Take a <see cref="Snapshot"/>
/// before and after a run and read the <see cref="Median"/> of their difference, or of one snapshot for the whole life.
/// </summary>
public sealed class BatchSizeHistogram
{
    /// <summary>Requests by their document count; index 0 is unused (a batch has at least one document).</summary>
    private readonly long[] _counts = new long[CouchActivationStore.MaxBatchDocuments + 1];

    internal void Add(int documents) => Interlocked.Increment(ref _counts[documents]);

    /// <summary>A copy of the counts, indexed by batch size.</summary>
    public long[] Snapshot()
    {
        long[] copy = new long[_counts.Length];
        for (int i = 0; i < copy.Length; i++)
        {
            copy[i] = Volatile.Read(ref _counts[i]);
        }

        return copy;
    }

    /// <summary>The median batch size of <paramref name="counts"/> (a <see cref="Snapshot"/> or the difference of two), 0 when it holds none.</summary>
    public static int Median(ReadOnlySpan<long> counts)
    {
        long total = 0;
        foreach (long count in counts)
        {
            total += count;
        }

        // The lower median: the smallest size that half the batches reach or stay under.
        long half = (total + 1) / 2;
        long seen = 0;
        for (int size = 0; size < counts.Length; size++)
        {
            seen += counts[size];
            if (total > 0 && seen >= half)
            {
                return size;
            }
        }

        return 0;
    }
}
