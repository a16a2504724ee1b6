using System.Text;
using BenchmarkDotNet.Attributes;
using Perf.Invoker.Benchmarks.Store;
using Perf.Invoker.Feed;
using Perf.Invoker.Feed.Embedded;
using Perf.Invoker.Store;

namespace Perf.Invoker.Benchmarks.Feed;

/// <summary>
/// The durable embedded feed's cost per accepted activation, as standalone mode pays it: the enqueue the API
/// awaits (one committed INSERT), the feed taking it (one query per batch of 64) and the commit once it has
/// completed (one DELETE below the committed offset per batch, as the offset tracker batches commits).
/// Baseline: the queue used one message at a time (INSERT, then DELETE by sequence: two commits each).
/// </summary>
/// <remarks>Not sealed: BenchmarkDotNet's toolchains emit a type that derives from the benchmark class.</remarks>
[MemoryDiagnoser]
public class EmbeddedFeedBenchmarks
{
    /// <summary>Activations per invocation: one feed batch, one batched commit.</summary>
    private const int Batch = 64;

    private DirectoryInfo _directory = null!;
    private SqliteDatabase _database = null!;
    private SqliteActivationQueue _queue = null!;
    private EmbeddedActivationFeed _feed = null!;
    private byte[] _message = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("perf-invoker-embedded-feed-bench-");
        _database = SqliteDatabase.Open(Path.Combine(_directory.FullName, "feed.db"));
        _queue = new SqliteActivationQueue(_database);
        _feed = new EmbeddedActivationFeed(_queue);
        _message = Encoding.UTF8.GetBytes(BenchmarkPayloads.ActivationMessage);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _database.Dispose();
        _directory.Delete(recursive: true);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public async Task Queue_EnqueueThenComplete_OneByOne()
    {
        for (int i = 0; i < Batch; i++)
        {
            long sequence = await _queue.EnqueueAsync(_message);
            await _queue.CompleteAsync(sequence);
        }
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public async Task EmbeddedFeed_AcceptDeliverCommit()
    {
        for (int i = 0; i < Batch; i++)
        {
            await _feed.EnqueueAsync(_message);
        }

        long last = 0;
        for (int i = 0; i < Batch; i++)
        {
            FeedMessage message = await _feed.ReceiveAsync(CancellationToken.None);
            last = message.Offset;
        }

        await _feed.CommitAsync(EmbeddedActivationFeed.Partition, last + 1, CancellationToken.None);
    }
}
