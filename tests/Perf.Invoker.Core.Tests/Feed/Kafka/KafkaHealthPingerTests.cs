using Microsoft.Extensions.Time.Testing;
using Perf.Invoker.Feed.Kafka;
using Perf.Invoker.Json;
using Perf.Invoker.Kafka;
using Perf.Invoker.Model;
using Perf.Invoker.Tests.Acknowledgements;
using Perf.Invoker.Tests.Kafka;

namespace Perf.Invoker.Tests.Feed.Kafka;

[Collection(KafkaCollection.Name)]
[Trait("Category", "Kafka")]
public sealed class KafkaHealthPingerTests(KafkaMockBrokerFixture broker)
{
    [Fact]
    public async Task HealthPinger_PingsEveryInterval_AndSaysSoWhenDisabled()
    {
        var options = new KafkaOptions { BootstrapServers = broker.BootstrapServers, TopicPrefix = broker.NewPrefix() };
        await broker.CreateTopicAsync(options.HealthTopic);
        var time = new FakeTimeProvider();
        using var producer = new KafkaProducer(options);
        await using (var pinger = new KafkaHealthPinger(producer, KafkaAckSinkTests.Invoker, time))
        {
            pinger.Start();
            await Eventually.True(() => pinger.SentCount == 1, "the first ping, sent at start");
            time.Advance(KafkaHealthPinger.DefaultInterval);
            await Eventually.True(() => pinger.SentCount == 2, "the ping of the first tick");
            pinger.IsEnabled = false;
            time.Advance(KafkaHealthPinger.DefaultInterval);
            await Eventually.True(() => pinger.SentCount == 3, "the ping of the second tick");
        }

        var pings = KafkaTestClient.ReadAll(broker.BootstrapServers, options.HealthTopic, 3)
            .Select(m => JsonModel.Read<PingMessage>(m.Message.Value))
            .ToList();
        Assert.All(pings, p => Assert.Equal("inv0", p.Instance.UniqueName));
        // Pings carry no key, so they spread over partitions and arrive in no set order: count them.
        Assert.Equal(2, pings.Count(p => p.IsEnabled == true));
        Assert.Equal(1, pings.Count(p => p.IsEnabled == false));
    }

    [Fact]
    public async Task HealthPinger_Disabled_SaysSoOnce_ThenStopsPinging_UntilEnabled()
    {
        var options = new KafkaOptions { BootstrapServers = broker.BootstrapServers, TopicPrefix = broker.NewPrefix() };
        await broker.CreateTopicAsync(options.HealthTopic);
        var time = new FakeTimeProvider();
        using var producer = new KafkaProducer(options);
        await using (var pinger = new KafkaHealthPinger(producer, KafkaAckSinkTests.Invoker, time))
        {
            pinger.Start();
            await Eventually.True(() => pinger.SentCount == 1, "the first ping, sent at start");
            pinger.IsEnabled = false;
            time.Advance(KafkaHealthPinger.DefaultInterval);
            await Eventually.True(() => pinger.SentCount == 2, "the one ping saying isEnabled=false");
            time.Advance(KafkaHealthPinger.DefaultInterval);
            await Eventually.True(() => pinger.SkippedCount == 1, "a tick without a ping");
            time.Advance(KafkaHealthPinger.DefaultInterval);
            await Eventually.True(() => pinger.SkippedCount == 2, "another tick without a ping");
            pinger.IsEnabled = true;
            time.Advance(KafkaHealthPinger.DefaultInterval);
            await Eventually.True(() => pinger.SentCount == 3, "pings again once enabled");
        }

        var pings = KafkaTestClient.ReadAll(broker.BootstrapServers, options.HealthTopic, 3)
            .Select(m => JsonModel.Read<PingMessage>(m.Message.Value))
            .ToList();
        Assert.Equal(2, pings.Count(p => p.IsEnabled == true));
        Assert.Equal(1, pings.Count(p => p.IsEnabled == false));
    }

    [Fact]
    public async Task HealthPinger_PingAsync_SendsOnePingOutsideTheSchedule()
    {
        var options = new KafkaOptions { BootstrapServers = broker.BootstrapServers, TopicPrefix = broker.NewPrefix() };
        var time = new FakeTimeProvider();
        using var producer = new KafkaProducer(options);
        await using var pinger = new KafkaHealthPinger(producer, KafkaAckSinkTests.Invoker, time);
        pinger.Start();
        await Eventually.True(() => pinger.SentCount == 1, "the first ping");
        await pinger.PingAsync(CancellationToken.None);
        Assert.Equal(2, pinger.SentCount);
    }
}
