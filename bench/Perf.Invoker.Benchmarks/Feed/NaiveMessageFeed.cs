using Perf.Invoker.Feed;

namespace Perf.Invoker.Benchmarks.Feed;

/// <summary>
/// The baseline: the feed as one would first write it with the framework's parts. A <see cref="SemaphoreSlim"/> for
/// the peek window and, per partition, a <see cref="SortedSet{T}"/> of in-flight offsets under a lock (the commit
/// point is its minimum); same batching by count, same "dispatch without awaiting".
/// </summary>
internal sealed class NaiveMessageFeed(IMessageSource source, IOffsetCommitter committer, FeedHandler handler, int maxPeek, int commitEvery)
{
    private readonly SemaphoreSlim _credits = new(maxPeek, maxPeek);
    private readonly Dictionary<int, Partition> _partitions = [];

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                await _credits.WaitAsync(stoppingToken).ConfigureAwait(false);
                FeedMessage message;
                try
                {
                    message = await source.ReceiveAsync(stoppingToken).ConfigureAwait(false);
                }
                catch
                {
                    _credits.Release();
                    throw;
                }

                Partition partition;
                lock (_partitions)
                {
                    if (!_partitions.TryGetValue(message.Partition, out partition!))
                    {
                        partition = _partitions[message.Partition] = new Partition(message.Partition);
                    }
                }

                lock (partition)
                {
                    partition.InFlight.Add(message.Offset);
                    partition.Next = message.Offset + 1;
                }

                _ = RunOneAsync(message, partition);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        while (_credits.CurrentCount != maxPeek)
        {
            await Task.Yield();
        }

        foreach (Partition partition in _partitions.Values)
        {
            await committer.CommitAsync(partition.Number, Committable(partition), CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task RunOneAsync(FeedMessage message, Partition partition)
    {
        long commit = -1;
        try
        {
            await handler(message).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Counted by the real feed; the baseline only needs to keep going.
        }
        finally
        {
            lock (partition)
            {
                partition.InFlight.Remove(message.Offset);
                if (++partition.SinceCommit >= commitEvery)
                {
                    partition.SinceCommit = 0;
                    commit = Committable(partition);
                }
            }

            _credits.Release();
        }

        if (commit >= 0)
        {
            await committer.CommitAsync(partition.Number, commit, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static long Committable(Partition partition)
    {
        lock (partition)
        {
            return partition.InFlight.Count == 0 ? partition.Next : partition.InFlight.Min;
        }
    }

    private sealed class Partition(int number)
    {
        public int Number => number;

        public SortedSet<long> InFlight { get; } = [];

        public long Next { get; set; }

        public int SinceCommit { get; set; }
    }
}
