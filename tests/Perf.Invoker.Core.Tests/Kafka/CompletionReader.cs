using System.Diagnostics;
using Confluent.Kafka;
using Perf.Invoker.Json;
using Perf.Invoker.Model;

namespace Perf.Invoker.Tests.Kafka;

/// <summary>Reads completion acks from completed&lt;C&gt; as a test waits for them, and counts them by activation id.</summary>
internal sealed class CompletionReader : IDisposable
{
    private readonly IConsumer<Ignore, byte[]> _consumer;
    private readonly TopicPartition _partition;
    private readonly HashSet<string> _ids = [];
    private int _total;
    private long _next;

    public CompletionReader(string bootstrap, string topic)
    {
        _partition = new TopicPartition(topic, 0);
        _consumer = new ConsumerBuilder<Ignore, byte[]>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "crash-reader", EnableAutoCommit = false })
            .SetLogHandler((_, _) => { })
            .Build();
        _consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
    }

    public int Distinct => _ids.Count;

    public int Total => _total;

    public IEnumerable<string> Ids => _ids;

    public void WaitFor(Func<CompletionReader, bool> condition, string what)
    {
        var waited = Stopwatch.StartNew();
        while (!condition(this))
        {
            Assert.True(waited.Elapsed < TimeSpan.FromMinutes(3), $"{what}: {Distinct} distinct completions");
            ConsumeOne();
        }
    }

    /// <summary>Reads every ack up to the partition's current end (its high watermark).</summary>
    public void DrainToEnd()
    {
        long end = _consumer.QueryWatermarkOffsets(_partition, KafkaTestClient.Timeout).High;
        var waited = Stopwatch.StartNew();
        while (_next < end)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromMinutes(1), $"acks up to offset {end}: read up to {_next}");
            ConsumeOne();
        }
    }

    private void ConsumeOne()
    {
        if (_consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false } result)
        {
            _total++;
            _next = result.Offset.Value + 1;
            _ids.Add(JsonModel.Read<CompletionMessage>(result.Message.Value).ActivationId.ToString());
        }
    }

    public void Dispose() => _consumer.Dispose();
}
