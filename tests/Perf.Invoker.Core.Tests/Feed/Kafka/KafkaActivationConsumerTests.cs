using System.Collections.Concurrent;
using Confluent.Kafka;
using Perf.Invoker.Feed.Kafka;
using Perf.Invoker.Kafka;
using Perf.Invoker.Tests.Kafka;

namespace Perf.Invoker.Tests.Feed.Kafka;

[Collection(KafkaCollection.Name)]
[Trait("Category", "Kafka")]
public sealed class KafkaActivationConsumerTests(KafkaMockBrokerFixture broker)
{
    [Fact]
    public async Task Consumer_CommitThenRestart_ResumesAfterTheCommittedOffset()
    {
        var options = Options();
        string topic = options.InvokerTopic(3);
        await broker.CreateTopicAsync(topic);
        await ProduceAsync(topic, partition: 0, count: 6);

        var assigned = new ConcurrentQueue<int>();
        using (var first = new KafkaActivationConsumer(options, 3))
        {
            Assert.Equal(topic, first.Topic);
            first.PartitionsAssigned += partitions => { foreach (int p in partitions) { assigned.Enqueue(p); } };
            first.Start();
            for (long expected = 0; expected < 6; expected++)
            {
                KafkaMessage message = await ReceiveAsync(first);
                Assert.Equal((topic, 0, expected, (byte)expected), (message.Topic, message.Partition, message.Offset, message.Value.Span[0]));
            }

            // Offsets 0..3 completed, 4 and 5 still in flight: commit the lowest incomplete one.
            Assert.True(first.Commit(0, 4));
            Assert.Equal(4, first.Committed(0, KafkaTestClient.Timeout));
            Assert.Equal([0, 1, 2, 3], assigned.Order());
        }

        using var second = new KafkaActivationConsumer(options, 3);
        second.Start();
        KafkaMessage resumed = await ReceiveAsync(second);
        Assert.Equal((0, 4L), (resumed.Partition, resumed.Offset));
        KafkaMessage next = await ReceiveAsync(second);
        Assert.Equal((0, 5L), (next.Partition, next.Offset));
    }

    [Fact]
    public async Task Messages_BelowTheHighWatermarkAtAssignment_MayBeRedelivered_LaterOnesMayNot()
    {
        var options = Options();
        string topic = options.InvokerTopic(0);
        await broker.CreateTopicAsync(topic);
        await ProduceAsync(topic, partition: 0, count: 3);
        using var consumer = new KafkaActivationConsumer(options, 0);
        consumer.Start();
        // Offsets 0..2 were there when the partition was assigned: a predecessor may have handled them.
        for (long offset = 0; offset < 3; offset++)
        {
            KafkaMessage old = await ReceiveAsync(consumer);
            Assert.Equal((offset, true), (old.Offset, old.MayBeRedelivered));
        }

        await ProduceAsync(topic, partition: 0, count: 2, first: 3);

        for (long offset = 3; offset < 5; offset++)
        {
            KafkaMessage fresh = await ReceiveAsync(consumer);
            Assert.Equal((offset, false), (fresh.Offset, fresh.MayBeRedelivered));
        }
    }

    [Fact]
    public async Task Consumer_Paused_FetchesNothingUntilResumed()
    {
        var options = Options();
        string topic = options.InvokerTopic(0);
        await broker.CreateTopicAsync(topic);
        await ProduceAsync(topic, partition: 1, count: 1);
        using var consumer = new KafkaActivationConsumer(options, 0);
        consumer.Start();
        Assert.Equal(0, (await ReceiveAsync(consumer)).Offset);

        consumer.Pause();
        Assert.True(consumer.IsPaused);
        await ProduceAsync(topic, partition: 1, count: 2, first: 1);
        // Absence can only be checked for a while; a fetch takes a few milliseconds on loopback.
        await Task.Delay(500);
        Assert.False(consumer.TryReceive(out _));

        consumer.Resume();
        Assert.Equal(1, (await ReceiveAsync(consumer)).Offset);
        Assert.Equal(2, (await ReceiveAsync(consumer)).Offset);
    }

    [Fact]
    public async Task Consumer_CommitOfAPartitionItDoesNotOwn_CommitsNothing()
    {
        var options = Options();
        string topic = options.InvokerTopic(0);
        await broker.CreateTopicAsync(topic, partitions: 2);
        await ProduceAsync(topic, partition: 0, count: 1);
        using var consumer = new KafkaActivationConsumer(options, 0);
        consumer.Start();
        await ReceiveAsync(consumer);

        Assert.False(consumer.Commit(7, 1));
        Assert.Equal([0, 1], consumer.AssignedPartitions.Order());
    }

    [Fact]
    public async Task Consumer_RevocationHandler_MakesTheFinalCommitBeforeThePartitionsGo()
    {
        var options = Options();
        string topic = options.InvokerTopic(1);
        await broker.CreateTopicAsync(topic);
        await ProduceAsync(topic, partition: 2, count: 3);

        var finalCommits = new ConcurrentQueue<bool>();
        using (var first = new KafkaActivationConsumer(options, 1))
        {
            // IPartitionListener's contract: what completed is committed once, on revocation.
            first.PartitionsRevoked += partitions =>
            {
                if (partitions.Contains(2))
                {
                    finalCommits.Enqueue(first.Commit(2, 2));
                }
            };
            first.Start();
            Assert.Equal((2, 0L), Coordinates(await ReceiveAsync(first)));
            Assert.Equal((2, 1L), Coordinates(await ReceiveAsync(first)));
        }

        Assert.Equal([true], finalCommits);
        using var second = new KafkaActivationConsumer(options, 1);
        second.Start();
        Assert.Equal((2, 2L), Coordinates(await ReceiveAsync(second)));
    }

    [Fact]
    public async Task Consumer_BufferFull_StopsFetchingAndLaterDeliversEveryMessageInOrder()
    {
        var options = new KafkaOptions
        {
            BootstrapServers = broker.BootstrapServers,
            TopicPrefix = broker.NewPrefix(),
            Extra = KafkaTestClient.GroupSettings,
            MaxBufferedMessages = 4,
        };
        string topic = options.InvokerTopic(0);
        await broker.CreateTopicAsync(topic);
        await ProduceAsync(topic, partition: 3, count: 20);
        using var consumer = new KafkaActivationConsumer(options, 0);
        consumer.Start();

        await Eventually.True(() => consumer.BufferedCount >= 4, "the buffer fills");
        // Absence can only be checked for a while: fetches are milliseconds apart on loopback.
        await Task.Delay(300);
        Assert.Equal(4, consumer.BufferedCount);

        for (long expected = 0; expected < 20; expected++)
        {
            Assert.Equal((3, expected), Coordinates(await ReceiveAsync(consumer)));
        }

        Assert.Equal(0, consumer.BufferedCount);
    }

    [Fact]
    public async Task Consumer_BufferAtItsHighWaterWhileTheReaderKeepsUp_DeliversEveryMessageOnceInOrder()
    {
        var options = new KafkaOptions
        {
            BootstrapServers = broker.BootstrapServers,
            TopicPrefix = broker.NewPrefix(),
            Extra = KafkaTestClient.GroupSettings,
            MaxBufferedMessages = 4,
        };
        string topic = options.InvokerTopic(0);
        await broker.CreateTopicAsync(topic);
        await ProduceAsync(topic, partition: 1, count: 300);
        using var consumer = new KafkaActivationConsumer(options, 0);
        consumer.Start();

        // The poll thread reaches the high water again and again and waits for this reader to drain it (or pauses when
        // it does not in time); either way nothing is lost, repeated or reordered.
        for (long expected = 0; expected < 300; expected++)
        {
            Assert.Equal((1, expected), Coordinates(await ReceiveAsync(consumer)));
        }

        Assert.False(consumer.TryReceive(out _));
    }

    /// <summary>More than the mock broker keeps of a partition (5 MiB, rdkafka_mock.c), in 1 KiB messages.</summary>
    private const int MoreThanTheMockKeeps = 8000;

    [Fact]
    public async Task Consumer_PausedByAFullBufferWhileTheBrokerDeletesWhatItHadNotRead_ReportsTheDeletedOffsets_AndDeliversTheRestInOrder()
    {
        var options = new KafkaOptions
        {
            BootstrapServers = broker.BootstrapServers,
            TopicPrefix = broker.NewPrefix(),
            Extra = KafkaTestClient.GroupSettings,
            MaxBufferedMessages = 8,
        };
        string topic = options.InvokerTopic(0);
        await broker.CreateTopicAsync(topic, partitions: 1);
        ProduceKilobytes(topic, 100);
        using var consumer = new KafkaActivationConsumer(options, 0);
        var reports = new ConcurrentQueue<UndeliveredMessages>();
        consumer.Undelivered += reports.Enqueue;
        consumer.Start();
        for (long expected = 0; expected < 10; expected++)
        {
            Assert.Equal((0, expected), Coordinates(await ReceiveAsync(consumer)));
        }

        // The reader stops (a feed whose window is full): the buffer fills and the consumer stops fetching, while the
        // controller goes on producing until the broker's retention deletes what this member has not read.
        await Eventually.True(() => consumer.BufferedCount >= 8, "the buffer fills");
        ProduceKilobytes(topic, MoreThanTheMockKeeps);

        for (long expected = 10; expected < 18; expected++)
        {
            Assert.Equal((0, expected), Coordinates(await ReceiveAsync(consumer)));
        }

        // This is how ServeLoad at 8,000 activations/s lost thousands: resumed, the fetch from offset 18 was out of range,
        // and librdkafka moved on to the log's start. Now the gap is named before the first message after it.
        KafkaMessage resumed = await ReceiveAsync(consumer);
        UndeliveredMessages report = Assert.Single(reports);
        Assert.Equal(new UndeliveredMessages(topic, 0, 18, resumed.Offset - 18), report);
        Assert.True(report.Count > 0);
        Assert.Equal(report.Count, consumer.UndeliveredCount);
        for (long expected = resumed.Offset + 1; expected < 100 + MoreThanTheMockKeeps; expected++)
        {
            Assert.Equal((0, expected), Coordinates(await ReceiveAsync(consumer)));
        }

        Assert.Single(reports);
    }

    [Fact]
    public async Task Consumer_WhoseCommittedOffsetTheBrokerDeletedMeanwhile_ReportsTheOffsetsFromTheCommitOn()
    {
        var options = Options();
        string topic = options.InvokerTopic(0);
        await broker.CreateTopicAsync(topic, partitions: 1);
        ProduceKilobytes(topic, 10);
        using (var first = new KafkaActivationConsumer(options, 0))
        {
            first.Start();
            await ReceiveAsync(first);
            Assert.True(first.Commit(0, 5));
        }

        // The invoker is down while the controller produces more than the broker keeps.
        ProduceKilobytes(topic, MoreThanTheMockKeeps);
        using var second = new KafkaActivationConsumer(options, 0);
        var reports = new ConcurrentQueue<UndeliveredMessages>();
        second.Undelivered += reports.Enqueue;
        second.Start();

        KafkaMessage delivered = await ReceiveAsync(second);
        Assert.True(delivered.Offset > 5, $"the broker still had offset 5 (first delivered: {delivered.Offset})");
        Assert.Equal([new UndeliveredMessages(topic, 0, 5, delivered.Offset - 5)], reports);
    }

    private static (int Partition, long Offset) Coordinates(KafkaMessage message) => (message.Partition, message.Offset);

    private KafkaOptions Options() => new()
    {
        BootstrapServers = broker.BootstrapServers,
        TopicPrefix = broker.NewPrefix(),
        Extra = KafkaTestClient.GroupSettings,
    };

    private async Task ProduceAsync(string topic, int partition, int count, int first = 0)
    {
        using var producer = KafkaTestClient.Producer(broker.BootstrapServers);
        for (int i = first; i < first + count; i++)
        {
            await producer.ProduceAsync(new TopicPartition(topic, partition), new Message<Null, byte[]> { Value = [(byte)i] });
        }
    }

    /// <summary>1 KiB messages on partition 0, as fast as the producer batches them.</summary>
    private void ProduceKilobytes(string topic, int count)
    {
        using var producer = KafkaTestClient.Producer(broker.BootstrapServers);
        for (int i = 0; i < count; i++)
        {
            producer.Produce(new TopicPartition(topic, 0), new Message<Null, byte[]> { Value = new byte[1024] });
        }

        Assert.Equal(0, producer.Flush(KafkaTestClient.Timeout));
    }

    private static async Task<KafkaMessage> ReceiveAsync(KafkaActivationConsumer consumer)
    {
        using var timeout = new CancellationTokenSource(KafkaTestClient.Timeout);
        return await consumer.ReceiveAsync(timeout.Token);
    }
}
