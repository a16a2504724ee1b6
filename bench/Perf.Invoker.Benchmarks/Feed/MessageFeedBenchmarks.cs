using BenchmarkDotNet.Attributes;
using Perf.Invoker.Feed;

namespace Perf.Invoker.Benchmarks.Feed;

/// <summary>
/// The feed's bookkeeping per activation: take a credit, receive, track the offset, dispatch, complete, return the
/// credit, move the commit point, commit every <see cref="CommitEvery"/> completions. The handler does nothing and
/// the source is in memory, so nothing else is measured. Baseline: <see cref="NaiveMessageFeed"/> (SemaphoreSlim +
/// SortedSet of offsets).
/// </summary>
/// <remarks>
/// One invocation runs a whole feed over <see cref="Messages"/> messages on 4 partitions, start to shutdown (drain and
/// flush included), and counts each message as an operation; the per-run setup (the feed object, its timer, a
/// cancellation, one tracker per partition) is spread over the messages. Not sealed: BenchmarkDotNet's toolchains
/// emit a type that derives from the benchmark class.
/// </remarks>
[MemoryDiagnoser]
public class MessageFeedBenchmarks
{
    private const int Messages = 1 << 16;
    private const int Partitions = 4;
    private const int MaxPeek = 64;
    private const int CommitEvery = 100;

    private static readonly FeedHandler s_noOp = static _ => Task.CompletedTask;

    private InMemoryFeedSource _source = null!;
    private NullOffsetCommitter _committer = null!;

    [GlobalSetup]
    public void Setup()
    {
        _source = new InMemoryFeedSource(Partitions, Messages);
        _committer = new NullOffsetCommitter();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Messages)]
    public long SemaphoreSlimAndSortedSet()
    {
        CancellationToken stop = _source.Reset();
        var feed = new NaiveMessageFeed(_source, _committer, s_noOp, MaxPeek, CommitEvery);
        feed.RunAsync(stop).GetAwaiter().GetResult();
        return _committer.Commits;
    }

    [Benchmark(OperationsPerInvoke = Messages)]
    public long MessageFeed()
    {
        CancellationToken stop = _source.Reset();
        var feed = new MessageFeed(_source, _committer, s_noOp, new MessageFeedOptions { MaxPeek = MaxPeek, CommitEveryCompletions = CommitEvery });
        feed.RunAsync(stop).GetAwaiter().GetResult();
        return feed.Completed;
    }
}
