using System.Diagnostics;
using Confluent.Kafka;

namespace Perf.Invoker.Tests.Kafka;

/// <summary>Plain Confluent.Kafka clients for checking what the invoker's Kafka parts wrote or read.</summary>
internal static class KafkaTestClient
{
    /// <summary>Bound on every wait for Kafka in a test; generous, since a slow machine must not fail it.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>
    /// The mock holds a rejoin of a group whose members left for the session timeout less 1 s (45 s by
    /// default, rdkafka_mock_cgrp.c); a short session keeps a consumer restart quick.
    /// </summary>
    public const int SessionTimeoutMs = 2000;

    public const int HeartbeatIntervalMs = 500;

    public static IReadOnlyDictionary<string, string> GroupSettings { get; } = new Dictionary<string, string>
    {
        ["session.timeout.ms"] = SessionTimeoutMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["heartbeat.interval.ms"] = HeartbeatIntervalMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public static IProducer<Null, byte[]> Producer(string bootstrap) =>
        new ProducerBuilder<Null, byte[]>(new ProducerConfig { BootstrapServers = bootstrap, Acks = Acks.All, LingerMs = 0 })
            .SetLogHandler((_, _) => { })
            .Build();

    /// <summary>
    /// Reads <paramref name="count"/> messages from every partition of <paramref name="topic"/> from the start,
    /// without a group (no rebalance to wait for). Fails if they do not arrive within <see cref="Timeout"/>.
    /// </summary>
    public static List<ConsumeResult<Ignore, byte[]>> ReadAll(string bootstrap, string topic, int count, int partitions = 4)
    {
        using var consumer = new ConsumerBuilder<Ignore, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "test-reader",
            EnableAutoCommit = false,
        })
            .SetLogHandler((_, _) => { })
            .Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var results = new List<ConsumeResult<Ignore, byte[]>>();
        var waited = Stopwatch.StartNew();
        while (results.Count < count)
        {
            Assert.True(waited.Elapsed < Timeout, $"only {results.Count} of {count} messages arrived on {topic}");
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false } result)
            {
                results.Add(result);
            }
        }

        consumer.Close();
        return results;
    }
}
