using System.Diagnostics;
using System.Globalization;
using System.IO.Enumeration;
using System.Text;
using Confluent.Kafka;
using Perf.Invoker.Benchmarks.Store;
using Perf.Invoker.Feed;
using Perf.Invoker.Feed.Kafka;
using Perf.Invoker.Kafka;

namespace Perf.Invoker.Benchmarks.Feed;

/// <summary>
/// Activations per second through the real Kafka intake: <see cref="MessageFeed"/> (credit window, offset tracker,
/// commits) over <see cref="KafkaMessageSource"/> and <see cref="KafkaActivationConsumer"/>, a no-op handler, against the
/// mock broker in its own process. The topics are filled first with ActivationMessage-sized messages (docs/openwhisk.md §2's
/// sample, 590 B); one run is a fresh consumer group reading them from the start, timed from the consumer's start until
/// the feed has committed every partition's end offset (the group join and the last commit included). Then the same
/// count split over <c>invoker&lt;N&gt;</c> and <c>invoker&lt;N&gt;concurrent</c>, a feed each, with the serve windows.
/// </summary>
/// <remarks>
/// Not BenchmarkDotNet: one measurement is a whole feed against another process, start to last commit, and the
/// question is a rate over seconds, not nanoseconds per call; BenchmarkDotNet's iterations would each need a new group
/// and would mostly re-measure the join. Runs: <c>--feed-throughput [--messages N] [--runs R]</c>; <c>--smoke</c> runs
/// a small one when its filter selects <see cref="Name"/>.
/// </remarks>
internal static class KafkaFeedThroughput
{
    /// <summary>What a <c>--filter</c> glob is matched against, as BenchmarkDotNet matches its benchmarks' full names.</summary>
    public const string Name = "Perf.Invoker.Benchmarks.Feed.KafkaFeedThroughput";

    /// <summary>
    /// The mock keeps about 5 MB per partition and drops the oldest beyond (rdkafka_mock.c), which would move the start of
    /// the log while it fills; 32 partitions hold 200,000 of these messages (4 MB each).
    /// </summary>
    private const int Partitions = 32;

    /// <summary><c>invoker serve</c>'s defaults: the windows are 4000 (one topic), and 16 + 4000 (two topics).</summary>
    private const long UserMemoryMegabytes = 2048;

    private const int ConcurrencyMax = 500;

    private static readonly FeedHandler s_noOp = static _ => Task.CompletedTask;

    private static readonly KafkaOptions s_names = new() { BootstrapServers = "" };

    /// <summary>Whether BenchmarkDotNet-style <c>--filter</c> globs in <paramref name="args"/> select this benchmark.</summary>
    public static bool IsSelectedBy(IReadOnlyList<string> args)
    {
        for (int i = 0; i < args.Count; i++)
        {
            if (args[i] is "--filter" or "-f")
            {
                for (int j = i + 1; j < args.Count && !args[j].StartsWith('-'); j++)
                {
                    if (FileSystemName.MatchesSimpleExpression(args[j], Name, ignoreCase: true))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    public static async Task RunAsync(int messages, int runs, TextWriter output)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(messages, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1);
        string single = s_names.InvokerTopic(0);
        string[] pair = [s_names.InvokerTopic(1), s_names.ConcurrentInvokerTopic(1)];
        using var broker = MockBrokerProcess.Start([single, .. pair], Partitions);
        var ends = new Dictionary<string, long[]>
        {
            [single] = Produce(broker.BootstrapServers, single, messages),
            [pair[0]] = Produce(broker.BootstrapServers, pair[0], messages / 2),
            [pair[1]] = Produce(broker.BootstrapServers, pair[1], messages - (messages / 2)),
        };

        int maxPeek = PeekWindow.MaxPeek(UserMemoryMegabytes, ConcurrencyMax);
        (string, int)[] oneTopic = [(single, maxPeek)];
        (string, int)[] twoTopics = [(pair[0], PeekWindow.NonConcurrentMaxPeek(UserMemoryMegabytes)), (pair[1], maxPeek)];
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{messages} messages of {BenchmarkPayloads.ActivationMessage.Length} B per run, no-op handler, mock broker {broker.BootstrapServers}"));
        output.WriteLine("| topics | run | activations/s | time to last commit | group join | last completion | activations/s, join to last completion | allocated/activation (process) |");
        output.WriteLine("|---|--:|--:|--:|--:|--:|--:|--:|");
        var rates = new List<double>[] { [], [] };
        for (int run = 1; run <= runs; run++)
        {
            foreach ((int kind, (string Topic, int Window)[] topics) in new[] { (0, oneTopic), (1, twoTopics) })
            {
                Measurement m = await MeasureAsync(broker.BootstrapServers, run, topics, ends, messages).ConfigureAwait(false);
                rates[kind].Add(m.Rate);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {string.Join(" + ", topics.Select(t => $"{t.Topic} (window {t.Window})"))} | {run} | {m.Rate:N0} | {m.Elapsed.TotalSeconds:F3} s | {m.Join.TotalSeconds:F3} s | {m.Completed.TotalSeconds:F3} s | {messages / (m.Completed - m.Join).TotalSeconds:N0} | {m.AllocatedBytes / (double)messages:N0} B |"));
            }
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"median activations/s over {runs} runs: one topic {Median(rates[0]):N0}, two topics {Median(rates[1]):N0}"));
    }

    /// <summary>
    /// One run: a consumer and feed per topic in a new group, started together; returns when every partition's end offset
    /// is committed. Checks the broker agrees before it returns.
    /// </summary>
    private static async Task<Measurement> MeasureAsync(string bootstrap, int run, (string Topic, int Window)[] topics, Dictionary<string, long[]> ends, int messages)
    {
        var consumers = new KafkaActivationConsumer[topics.Length];
        var feeds = new MessageFeed[topics.Length];
        for (int i = 0; i < topics.Length; i++)
        {
            var options = new KafkaOptions
            {
                BootstrapServers = bootstrap,
                // A new group per run reads the same messages from the start again.
                Extra = new Dictionary<string, string> { ["group.id"] = $"{topics[i].Topic}-run{run}" },
            };
            consumers[i] = new KafkaActivationConsumer(options, topics[i].Topic);
            var source = new KafkaMessageSource(consumers[i]);
            feeds[i] = new MessageFeed(source, source, s_noOp, new MessageFeedOptions { MaxPeek = topics[i].Window, });
        }

        try
        {
            using var stop = new CancellationTokenSource();
            int unassigned = topics.Length;
            long joinTicks = 0;
            var clock = Stopwatch.StartNew();
            foreach (KafkaActivationConsumer consumer in consumers)
            {
                int waiting = 1;
                consumer.PartitionsAssigned += _ =>
                {
                    // The poll thread raises it; the groups have joined once every consumer got its first assignment.
                    if (Interlocked.Exchange(ref waiting, 0) == 1 && Interlocked.Decrement(ref unassigned) == 0)
                    {
                        Volatile.Write(ref joinTicks, clock.Elapsed.Ticks);
                    }
                };
            }

            long allocated = GC.GetTotalAllocatedBytes(precise: true);
            Task running = Task.WhenAll(feeds.Select(f => f.RunAsync(stop.Token)));
            foreach (KafkaActivationConsumer consumer in consumers)
            {
                consumer.Start();
            }

            while (feeds.Sum(f => f.Completed) < messages)
            {
                await Task.Delay(1).ConfigureAwait(false);
            }

            TimeSpan completed = clock.Elapsed;
            while (!AllCommitted(feeds, topics, ends))
            {
                await Task.Delay(1).ConfigureAwait(false);
            }

            TimeSpan elapsed = clock.Elapsed;
            allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
            await stop.CancelAsync().ConfigureAwait(false);
            await running.ConfigureAwait(false);
            // Committed to the end is not enough: the tracker takes an offset gap as done, so a skipped message would not show.
            if (feeds.Sum(f => f.Dispatched) is long dispatched && dispatched != messages)
            {
                throw new InvalidOperationException($"{dispatched} activations were dispatched, {messages} were produced");
            }

            for (int i = 0; i < topics.Length; i++)
            {
                for (int partition = 0; partition < Partitions; partition++)
                {
                    long end = ends[topics[i].Topic][partition];
                    long committed = consumers[i].Committed(partition, TimeSpan.FromSeconds(10)) ?? 0;
                    if (committed != end || feeds[i].CreditsInUse != 0)
                    {
                        throw new InvalidOperationException($"{topics[i].Topic}/{partition}: broker has {committed} committed, the end is {end}");
                    }
                }
            }

            return new Measurement(messages / elapsed.TotalSeconds, elapsed, TimeSpan.FromTicks(Volatile.Read(ref joinTicks)), completed, allocated);
        }
        finally
        {
            foreach (KafkaActivationConsumer consumer in consumers)
            {
                consumer.Dispose();
            }
        }
    }

    private static bool AllCommitted(MessageFeed[] feeds, (string Topic, int Window)[] topics, Dictionary<string, long[]> ends)
    {
        for (int i = 0; i < feeds.Length; i++)
        {
            long[] end = ends[topics[i].Topic];
            for (int partition = 0; partition < Partitions; partition++)
            {
                // A partition the producer left empty has nothing to commit.
                if (end[partition] > 0 && !(feeds[i].TryGetPartition(partition, out FeedPartitionCounters c) && c.CommittedOffset == end[partition]))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>Produces <paramref name="count"/> copies of the sample ActivationMessage; returns each partition's end offset.</summary>
    private static long[] Produce(string bootstrap, string topic, int count)
    {
        byte[] payload = Encoding.UTF8.GetBytes(BenchmarkPayloads.ActivationMessage);
        var config = new ProducerConfig
        {
            BootstrapServers = bootstrap,
            Acks = Acks.Leader,
            LingerMs = 5,
            // Room for the whole fill in the client's queue, so Produce never reports it full.
            QueueBufferingMaxMessages = Math.Max(count, 100_000),
            QueueBufferingMaxKbytes = 2 * 1024 * 1024,
        };
        using (var producer = new ProducerBuilder<Null, byte[]>(config).SetLogHandler((_, _) => { }).Build())
        {
            var message = new Message<Null, byte[]> { Value = payload };
            for (int i = 0; i < count; i++)
            {
                // Round-robin: every partition gets its share, as a controller's keyless produce spreads them.
                producer.Produce(new TopicPartition(topic, new Partition(i % Partitions)), message);
            }

            if (producer.Flush(TimeSpan.FromMinutes(2)) != 0)
            {
                throw new InvalidOperationException($"messages to {topic} were not delivered");
            }
        }

        using var reader = new ConsumerBuilder<Ignore, byte[]>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "throughput-ends" })
            .SetLogHandler((_, _) => { })
            .Build();
        long[] ends = new long[Partitions];
        for (int partition = 0; partition < Partitions; partition++)
        {
            WatermarkOffsets marks = reader.QueryWatermarkOffsets(new TopicPartition(topic, new Partition(partition)), TimeSpan.FromSeconds(10));
            if (marks.Low.Value != 0)
            {
                throw new InvalidOperationException($"{topic}/{partition} starts at {marks.Low.Value}: the mock dropped messages to keep its size; use fewer");
            }

            ends[partition] = marks.High.Value;
        }

        if (ends.Sum() != count)
        {
            throw new InvalidOperationException($"{topic} holds {ends.Sum()} messages, {count} were produced");
        }

        return ends;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        int middle = values.Count / 2;
        return values.Count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
    }

    /// <param name="Rate">Activations per second, start to last commit.</param>
    /// <param name="Elapsed">From the consumers' start to every end offset committed.</param>
    /// <param name="Join">From the start until every consumer had its partitions.</param>
    /// <param name="Completed">From the start until every activation completed; the last commits follow within the commit interval.</param>
    /// <param name="AllocatedBytes">Managed bytes the whole process allocated meanwhile (librdkafka's client side included).</param>
    private readonly record struct Measurement(double Rate, TimeSpan Elapsed, TimeSpan Join, TimeSpan Completed, long AllocatedBytes);
}
