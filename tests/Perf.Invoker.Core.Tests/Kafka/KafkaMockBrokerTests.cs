using System.Diagnostics;
using Confluent.Kafka;

namespace Perf.Invoker.Tests.Kafka;

[Collection(KafkaCollection.Name)]
[Trait("Category", "Kafka")]
public sealed class KafkaMockBrokerTests(KafkaMockBrokerFixture broker)
{
    [Fact]
    public void MockBroker_PrintsALoopbackBootstrapAddress() =>
        Assert.StartsWith("127.0.0.1:", broker.BootstrapServers, StringComparison.Ordinal);

    [Fact]
    public async Task MockBroker_CommittedOffset_SurvivesAcrossConsumersOfTheGroup()
    {
        string topic = broker.NewPrefix() + "invoker0";
        await broker.CreateTopicAsync(topic);
        using (var producer = KafkaTestClient.Producer(broker.BootstrapServers))
        {
            for (int i = 0; i < 5; i++)
            {
                await producer.ProduceAsync(new TopicPartition(topic, 0), new Message<Null, byte[]> { Value = [(byte)i] });
            }
        }

        using (var first = GroupConsumer(topic))
        {
            first.Subscribe(topic);
            for (long expected = 0; expected < 3; expected++)
            {
                var result = ConsumeOne(first);
                Assert.Equal((0, expected), (result.Partition.Value, result.Offset.Value));
            }

            // Kafka's convention: the committed offset is the next one to read.
            first.Commit([new TopicPartitionOffset(topic, 0, 3)]);
            first.Close();
        }

        using var second = GroupConsumer(topic);
        second.Subscribe(topic);
        var resumed = ConsumeOne(second);
        Assert.Equal((0, 3L, (byte)3), (resumed.Partition.Value, resumed.Offset.Value, resumed.Message.Value[0]));
        second.Close();
    }

    private IConsumer<Ignore, byte[]> GroupConsumer(string group) =>
        new ConsumerBuilder<Ignore, byte[]>(new ConsumerConfig
        {
            BootstrapServers = broker.BootstrapServers,
            GroupId = group,
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            SessionTimeoutMs = KafkaTestClient.SessionTimeoutMs,
            HeartbeatIntervalMs = KafkaTestClient.HeartbeatIntervalMs,
        })
            .SetLogHandler((_, _) => { })
            .Build();

    private static ConsumeResult<Ignore, byte[]> ConsumeOne(IConsumer<Ignore, byte[]> consumer)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            Assert.True(waited.Elapsed < KafkaTestClient.Timeout, "no message arrived");
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false } result)
            {
                return result;
            }
        }
    }
}
