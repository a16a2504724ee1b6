using Confluent.Kafka;
using Perf.Invoker.Feed;
using Perf.Invoker.Feed.Kafka;
using Perf.Invoker.Kafka;
using Perf.Invoker.Tests.Kafka;

namespace Perf.Invoker.Tests.Feed.Kafka;

/// <summary>The credit window and offset tracker over the real consumer, against the mock broker.</summary>
[Collection(KafkaCollection.Name)]
[Trait("Category", "Kafka")]
public sealed class KafkaFeedTests(KafkaMockBrokerFixture broker)
{
    [Fact]
    public async Task Feed_OverKafka_CommitsEveryPartitionToItsEnd_WithHandlerFaultsMixedIn()
    {
        const int PerPartition = 50;
        var options = new KafkaOptions { BootstrapServers = broker.BootstrapServers, TopicPrefix = broker.NewPrefix(), Extra = KafkaTestClient.GroupSettings };
        string topic = options.InvokerTopic(0);
        await broker.CreateTopicAsync(topic);
        using (var producer = KafkaTestClient.Producer(broker.BootstrapServers))
        {
            for (int partition = 0; partition < 4; partition++)
            {
                for (int i = 0; i < PerPartition; i++)
                {
                    await producer.ProduceAsync(new TopicPartition(topic, partition), new Message<Null, byte[]> { Value = [(byte)i] });
                }
            }
        }

        using var consumer = new KafkaActivationConsumer(options, 0);
        var source = new KafkaMessageSource(consumer);
        int faults = 0;
        var feed = new MessageFeed(source, source, async message =>
        {
            await Task.Yield();
            if (message.Offset % 7 == 3)
            {
                Interlocked.Increment(ref faults);
                throw new InvalidOperationException("a failing activation still completes its offset");
            }
        }, new MessageFeedOptions { MaxPeek = 16, CommitEveryCompletions = 10 });

        consumer.Start();
        using var stop = new CancellationTokenSource();
        Task running = feed.RunAsync(stop.Token);
        await Eventually.True(() => feed.Completed >= 4 * PerPartition, "every message completed");

        stop.Cancel();
        await running.WaitAsync(KafkaTestClient.Timeout);

        Assert.Equal(4 * PerPartition, feed.Completed);
        Assert.Equal(0, feed.CreditsInUse);
        Assert.True(faults > 0);
        for (int partition = 0; partition < 4; partition++)
        {
            Assert.Equal(PerPartition, consumer.Committed(partition, KafkaTestClient.Timeout));
        }
    }

    [Fact]
    public async Task Feeds_OverInvokerAndConcurrentTopics_FillBothWindowsAtOnce_ThenCommitBothTopicsToTheirEnds()
    {
        const int PerPartition = 50;
        int[] windows = [4, 16];
        var options = new KafkaOptions { BootstrapServers = broker.BootstrapServers, TopicPrefix = broker.NewPrefix(), Extra = KafkaTestClient.GroupSettings };
        string[] topics = [options.InvokerTopic(0), options.ConcurrentInvokerTopic(0)];
        Assert.Equal(options.TopicPrefix + "invoker0concurrent", topics[1]);
        using (var producer = KafkaTestClient.Producer(broker.BootstrapServers))
        {
            foreach (string topic in topics)
            {
                await broker.CreateTopicAsync(topic);
                for (int partition = 0; partition < 4; partition++)
                {
                    for (int i = 0; i < PerPartition; i++)
                    {
                        producer.Produce(new TopicPartition(topic, partition), new Message<Null, byte[]> { Value = [(byte)i] });
                    }
                }
            }

            Assert.Equal(0, producer.Flush(KafkaTestClient.Timeout));
        }

        // The shared handler holds every activation until both windows are full at the same time: both topics are
        // saturated at once, and each still had its own window of credits. Then everything runs through.
        int[] started = new int[2];
        var bothFull = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        FeedHandler HandlerOf(int topic) => async _ =>
        {
            Interlocked.Increment(ref started[topic]);
            if (Volatile.Read(ref started[0]) >= windows[0] && Volatile.Read(ref started[1]) >= windows[1])
            {
                bothFull.TrySetResult();
            }

            await bothFull.Task;
        };

        using var invoker = new KafkaActivationConsumer(options, 0);
        using var concurrent = new KafkaActivationConsumer(options, topics[1]);
        KafkaActivationConsumer[] consumers = [invoker, concurrent];
        Assert.Equal(topics, consumers.Select(c => c.Topic));
        var feeds = new MessageFeed[2];
        for (int topic = 0; topic < 2; topic++)
        {
            var source = new KafkaMessageSource(consumers[topic]);
            feeds[topic] = new MessageFeed(source, source, HandlerOf(topic), new MessageFeedOptions { MaxPeek = windows[topic], CommitEveryCompletions = 10 });
            consumers[topic].Start();
        }

        using var stop = new CancellationTokenSource();
        Task running = Task.WhenAll(feeds[0].RunAsync(stop.Token), feeds[1].RunAsync(stop.Token));
        // Nothing completes before the gate opens, so each topic had exactly its window in flight when it did.
        await bothFull.Task.WaitAsync(KafkaTestClient.Timeout);
        await Eventually.True(() => feeds.All(f => f.Completed == 4 * PerPartition), "both topics completed every message");
        stop.Cancel();
        await running.WaitAsync(KafkaTestClient.Timeout);

        for (int topic = 0; topic < 2; topic++)
        {
            Assert.Equal(0, feeds[topic].CreditsInUse);
            Assert.Equal(4 * PerPartition, feeds[topic].Dispatched);
            for (int partition = 0; partition < 4; partition++)
            {
                Assert.Equal(PerPartition, consumers[topic].Committed(partition, KafkaTestClient.Timeout));
            }
        }
    }
}
