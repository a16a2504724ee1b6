using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;

namespace Perf.Invoker.Tests.Kafka;

/// <summary>Every message of a topic from the start, read on demand, without a group.</summary>
internal sealed class TopicReader : IDisposable
{
    private readonly IConsumer<Ignore, byte[]> _consumer;

    public TopicReader(string bootstrap, string topic, int partitions)
    {
        _consumer = new ConsumerBuilder<Ignore, byte[]>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "test-reader", EnableAutoCommit = false })
            .SetLogHandler((_, _) => { })
            .Build();
        _consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        Topic = topic;
    }

    public string Topic { get; }

    public List<byte[]> Messages { get; } = [];

    public void ReadUntil(Func<List<byte[]>, bool> condition, string what)
    {
        var waited = Stopwatch.StartNew();
        while (!condition(Messages))
        {
            Assert.True(waited.Elapsed < KafkaTestClient.Timeout, string.Create(CultureInfo.InvariantCulture, $"{Topic}: {what}; {Messages.Count} messages read"));
            if (_consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false } result)
            {
                Messages.Add(result.Message.Value);
            }
        }
    }

    public void Dispose() => _consumer.Dispose();
}
