using Confluent.Kafka;
using Perf.Invoker.Feed;
using Perf.Invoker.Feed.Kafka;

namespace Perf.Invoker.Tests.Kafka;

/// <summary>The credit window and offset tracker over the real consumer, against the mock broker.</summary>
[Collection(KafkaCollection.Name)]
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
        for (int i = 0; i < 2000 && feed.Completed < 4 * PerPartition; i++)
        {
            await Task.Delay(10);
        }

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
}
