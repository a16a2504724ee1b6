using Perf.Invoker.Store;
using Perf.Invoker.Model;
using System.Globalization;
using Confluent.Kafka;
using Perf.Invoker.Containers;
using Perf.Invoker.Acknowledgements;
using Perf.Invoker.Feed.Kafka;
using Perf.Invoker.Host.Engine;
using Perf.Invoker.Kafka;

namespace Perf.Invoker.Host.Serve;

/// <summary>
/// <c>invoker serve</c>: a drop-in invoker for instance N of an OpenWhisk cluster. Kafka's
/// <c>invoker&lt;N&gt;</c> feeds the credit window; activations run in process or Docker containers; records go to
/// the SQLite store and acks to <c>completed&lt;C&gt;</c>; a ping goes to <c>health</c> every second. Started as OpenWhisk's
/// deployments start theirs, it takes their arguments and environment (docs/cluster.md).
/// </summary>
internal static class ServeCommand
{
    public static async Task<int> RunAsync(ServeSettings settings)
    {
        InvokerSettings shared = settings.Shared;
        string name = $"invoker{settings.Instance}";
        if (settings.NotActedOn.Count > 0)
        {
            // docs/cluster.md: what OpenWhisk's deployment sets and this invoker has no use for, named once rather than dropped.
            Console.WriteLine($"{name}: not acted on: {string.Join(", ", settings.NotActedOn)}");
        }

        OpenWhiskSettings openWhisk = settings.OpenWhisk;
        await using InvokerEngine engine = await InvokerEngine.OpenAsync(shared, new EngineIdentity(
            "serve",
            settings.Instance,
            name,
            ContainerPrefix: settings.ContainerPrefix,
            OwnerTag: OwnerTag.For(settings.ContainerPrefix.TrimEnd('_'), shared.DataDirectory),
            SweepBeforeListening: true,
            InstanceId: settings.InstanceId),
            new ActionRuntimes(openWhisk.Runtimes, openWhisk.RuntimesRegistry, openWhisk.ApiHost));

        var kafka = new KafkaOptions
        {
            BootstrapServers = settings.Kafka,
            TopicPrefix = settings.TopicPrefix,
            MaxMessageBytes = openWhisk.MaxMessageBytes,
            Extra = settings.KafkaExtra,
        };
        using KafkaClients clients = KafkaClients.Create(kafka, settings);
        UserEventPublisher? userEvents = openWhisk.UserEventsEnabled
            ? new UserEventPublisher(clients.Producer, openWhisk.UserEventTopicPrefix + "events", name)
            : null;
        if (userEvents is not null)
        {
            userEvents.PublishFailed += e => Console.Error.WriteLine($"{name}: a user event was not delivered: {e.Message}");
        }

        // In a cluster, actions and records live in its CouchDB (docs/cluster.md); without one, in the SQLite store of --data.
        await using ClusterDatabase? cluster = settings.CouchDb is { } couchDb
            ? ClusterDatabase.Open(couchDb, (openWhisk.Runtimes ?? RuntimeManifest.Local).ResolveKind, openWhisk.BlacklistPollInterval, name, engine.Settings.ActionCacheBytes)
            : null;
        engine.Compose(
            new KafkaAckSink(clients.Producer),
            userEvents,
            cluster is null ? null : new ActivationRecords(cluster.Actions, cluster.Records, cluster.Blacklist),
            new ActivationStorePolicy(settings.StoreBlockingResultLevel, settings.StoreNonBlockingResultLevel));
        engine.MoreMetrics = cluster is null ? null : cluster.WriteMetrics;
        await using var pinger = new KafkaHealthPinger(clients.Producer, engine.Instance, invokerSwitch: engine.Switch);
        OpenWhiskAdminEndpoints.Map(engine.App, engine.Switch, new BasicCredentials(openWhisk.Username, openWhisk.Password), settings.OpenWhiskName, pinger.PingAsync);

        var source = new KafkaMessageSource(clients.Consumer);
        engine.AddFeed(source, source, settings.MaxPeek, static message => $"activation at {message.Partition}/{message.Offset}");
        // --concurrent-topic: invoker<N>concurrent gets its own consumer, feed and window beside invoker<N>'s, sharing the
        // handler; that alone keeps either topic from starving the other (MessageFeed). Windows: PeekWindow's remarks.
        if (clients.ConcurrentConsumer is { } concurrentConsumer)
        {
            var concurrentSource = new KafkaMessageSource(concurrentConsumer);
            engine.AddFeed(concurrentSource, concurrentSource, settings.ConcurrentMaxPeek, static message => $"concurrent activation at {message.Partition}/{message.Offset}");
        }

        await engine.StartAsync();
        // Reported from here on: a start that fails ends with its one line, not after the broker's retries.
        clients.Report(name);
        clients.Consumer.Start();
        clients.ConcurrentConsumer?.Start();
        pinger.Start();
        cluster?.Blacklist.Start();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name} serving {kafka.InvokerTopic(settings.Instance)} on {settings.Kafka} (peek window {settings.MaxPeek}); admin on {string.Join(' ', engine.App.Urls)}"));

        if (clients.ConcurrentConsumer is not null)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name} also serving {clients.ConcurrentConsumer.Topic} (peek window {settings.ConcurrentMaxPeek})"));
        }

        if (userEvents is not null)
        {
            Console.WriteLine($"{name} sends user events on {userEvents.Topic}");
        }

        return await engine.RunAsync();
    }

    /// <summary>The producer (acks, pings) and the consumers of one invoker, created together so that a client librdkafka refuses is one line.</summary>
    private sealed class KafkaClients : IDisposable
    {
        public KafkaProducer Producer { get; private set; } = null!;

        public KafkaActivationConsumer Consumer { get; private set; } = null!;

        public KafkaActivationConsumer? ConcurrentConsumer { get; private set; }

        public static KafkaClients Create(KafkaOptions kafka, ServeSettings settings)
        {
            var clients = new KafkaClients();
            try
            {
                clients.Producer = new KafkaProducer(kafka);
                clients.Consumer = new KafkaActivationConsumer(kafka, settings.Instance);
                clients.ConcurrentConsumer = settings.ConcurrentTopic ? new KafkaActivationConsumer(kafka, kafka.ConcurrentInvokerTopic(settings.Instance)) : null;
                return clients;
            }
            catch (Exception e) when (e is KafkaException or ArgumentException or InvalidOperationException)
            {
                // A --kafka-option librdkafka does not know, or a value it refuses.
                clients.Dispose();
                throw new StartupException($"the Kafka client could not be created: {e.Message}", e);
            }
        }

        /// <summary>
        /// One line on stderr for each error librdkafka reports (a broker down or back: it retries by itself, but an operator
        /// must see the outage) and for activation messages the broker deleted before they were read (lost; docs/feed.md §4).
        /// </summary>
        public void Report(string name)
        {
            Producer.Error += e => Console.Error.WriteLine($"{name}: Kafka producer: {e.Reason} ({e.Code})");
            foreach (KafkaActivationConsumer consumer in ConcurrentConsumer is null ? [Consumer] : new[] { Consumer, ConcurrentConsumer })
            {
                consumer.Error += e => Console.Error.WriteLine($"{name}: Kafka consumer of {consumer.Topic}: {e.Reason} ({e.Code})");
                consumer.Undelivered += u => Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name}: {u.Count} activation messages of {u.Topic} partition {u.Partition} (offsets {u.FirstOffset}–{u.FirstOffset + u.Count - 1}) were deleted by the broker before they were read (its retention); they are lost"));
            }
        }

        public void Dispose()
        {
            ConcurrentConsumer?.Dispose();
            Consumer?.Dispose();
            Producer?.Dispose();
        }
    }
}
