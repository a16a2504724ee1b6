using System.Globalization;
using Perf.Invoker.Acknowledgements;
using Perf.Invoker.Containers;
using Perf.Invoker.Exposition;
using Perf.Invoker.Feed;
using Perf.Invoker.Feed.Kafka;
using Perf.Invoker.Invocation;
using Perf.Invoker.Kafka;
using Perf.Invoker.Model;
using Perf.Invoker.Pool;
using Perf.Invoker.Store;

namespace Perf.Invoker.Host;

/// <summary>
/// <c>invoker serve</c>: a drop-in invoker for instance N of an OpenWhisk cluster. Kafka's
/// <c>invoker&lt;N&gt;</c> feeds the credit window; activations run in process or Docker containers; records go to
/// the SQLite store and acks to <c>completed&lt;C&gt;</c>; a ping goes to <c>health</c> every second.
/// </summary>
internal static class ServeCommand
{
    public static async Task<int> RunAsync(ServeSettings settings)
    {
        Directory.CreateDirectory(settings.DataDirectory);
        using SqliteDatabase database = SqliteDatabase.Open(Path.Combine(settings.DataDirectory, "invoker.db"));
        var records = new SqliteActivationStore(database);
        var actions = new SqliteActionStore(database);

        await using IContainerFactory factory = settings.Backend.CreateFactory(
            settings.RuntimeDirectory, $"wsk{settings.Instance}_", OwnerTag.For($"wsk{settings.Instance}", settings.DataDirectory), settings.UserMemoryMegabytes);
        // docs/openwhisk.md §5: containers with this invoker's prefix are removed at start, a crashed predecessor's included.
        await factory.RemoveLeftoversAsync(CancellationToken.None);

        await using var pool = new ContainerPool(factory, new ContainerPoolOptions
        {
            UserMemoryMegabytes = settings.UserMemoryMegabytes,
            NamePrefix = $"wsk{settings.Instance}_",
            Concurrency = new ConcurrencyRange(Max: settings.ConcurrencyMax),
        });
        var instance = new InvokerInstanceId
        {
            Instance = settings.Instance,
            UniqueName = $"invoker{settings.Instance}",
            DisplayedName = $"invoker{settings.Instance}",
            UserMemory = ByteSize.FromMegabytes(settings.UserMemoryMegabytes),
        };
        var kafka = new KafkaOptions { BootstrapServers = settings.Kafka, TopicPrefix = settings.TopicPrefix, Extra = settings.KafkaExtra };
        using var producer = new KafkaProducer(kafka);
        var acks = new KafkaAckSink(producer);
        var invokerSwitch = new InvokerSwitch();
        await using var pinger = new KafkaHealthPinger(producer, instance, invokerSwitch: invokerSwitch);
        var invoker = new ActivationInvoker(pool, records, acks, instance);
        var handler = new ActivationMessageHandler(
            invoker,
            records,
            async (message, cancellationToken) => (await actions.GetAsync(message.Action.Path, message.Action.Name, cancellationToken).ConfigureAwait(false))?.Executable,
            static problem => Console.Error.WriteLine(problem));

        using var consumer = new KafkaActivationConsumer(kafka, settings.Instance);
        var source = new KafkaMessageSource(consumer);
        int maxPeek = settings.ConcurrentTopic ? PeekWindow.NonConcurrentMaxPeek(settings.UserMemoryMegabytes) : PeekWindow.MaxPeek(settings.UserMemoryMegabytes, settings.ConcurrencyMax, settings.PeekFactor);
        var feed = new MessageFeed(source, source, message => handler.HandleAsync(message.Value), new MessageFeedOptions
        {
            MaxPeek = maxPeek,
            Switch = invokerSwitch,
            OnHandlerFault = static (message, e) => Console.Error.WriteLine($"activation at {message.Partition}/{message.Offset} failed: {e.Message}"),
        });

        // --concurrent-topic: invoker<N>concurrent gets its own consumer, feed and window beside invoker<N>'s, sharing the
        // handler; that alone keeps either topic from starving the other (MessageFeed). Windows: PeekWindow's remarks.
        using var concurrentConsumer = settings.ConcurrentTopic ? new KafkaActivationConsumer(kafka, kafka.ConcurrentInvokerTopic(settings.Instance)) : null;
        int concurrentMaxPeek = PeekWindow.MaxPeek(settings.UserMemoryMegabytes, settings.ConcurrencyMax, settings.PeekFactor);
        MessageFeed? concurrentFeed = null;
        if (concurrentConsumer is not null)
        {
            var concurrentSource = new KafkaMessageSource(concurrentConsumer);
            concurrentFeed = new MessageFeed(concurrentSource, concurrentSource, message => handler.HandleAsync(message.Value), new MessageFeedOptions
            {
                MaxPeek = concurrentMaxPeek,
                Switch = invokerSwitch,
                OnHandlerFault = static (message, e) => Console.Error.WriteLine($"concurrent activation at {message.Partition}/{message.Offset} failed: {e.Message}"),
            });
        }

        await using var app = AdminEndpoints.Build(settings.Url);
        AdminEndpoints.Map(app, new AdminState(new InvokerMetricsWriter(invoker.Metrics, pool, concurrentFeed is null ? [feed] : [feed, concurrentFeed], invokerSwitch), invokerSwitch));
        await app.StartAsync();
        consumer.Start();
        concurrentConsumer?.Start();
        pinger.Start();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"invoker{settings.Instance} serving {kafka.InvokerTopic(settings.Instance)} on {settings.Kafka} (peek window {maxPeek}); admin on {string.Join(' ', app.Urls)}"));

        if (concurrentConsumer is not null)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"invoker{settings.Instance} also serving {concurrentConsumer.Topic} (peek window {concurrentMaxPeek})"));
        }

        // Either feed ending by itself stops the invoker (FeedSupervisor): a fault of one is not hidden by the other running on.
        Task invokerFeed = feed.RunAsync(app.Lifetime.ApplicationStopping);
        Task? concurrent = concurrentFeed?.RunAsync(app.Lifetime.ApplicationStopping);
        int exitCode = await FeedSupervisor.RunAsync(app, concurrent is null ? invokerFeed : Task.WhenAny(invokerFeed, concurrent).Unwrap(), "serve");
        if (concurrent is not null)
        {
            // Both drain before the process ends; a fault was reported already.
            await Task.WhenAll(invokerFeed, concurrent).ContinueWith(static _ => { }, TaskScheduler.Default);
        }

        return exitCode;
    }
}

/// <summary>The settings of <c>invoker serve</c>: flags first, then INVOKER_* environment variables, then defaults.</summary>
internal sealed class ServeSettings
{
    public required string Kafka { get; init; }

    public int Instance { get; init; }

    public string TopicPrefix { get; init; } = "";

    public long UserMemoryMegabytes { get; init; } = 2048;

    public int ConcurrencyMax { get; init; } = 500;

    public double PeekFactor { get; init; } = PeekWindow.DefaultPeekFactor;

    /// <summary>Also consume <c>invoker&lt;N&gt;concurrent</c>, with its own feed and peek window.</summary>
    public bool ConcurrentTopic { get; init; }

    public required string DataDirectory { get; init; }

    public required string RuntimeDirectory { get; init; }

    public required string Url { get; init; }

    public Dictionary<string, string> KafkaExtra { get; init; } = [];

    public required ContainerBackend Backend { get; init; }

    public static string Help => $"""
        usage: invoker serve --kafka HOST:PORT [settings]

          --kafka HOST:PORT        Kafka bootstrap servers (INVOKER_KAFKA; required)
          --instance N             invoker instance: consumes invoker<N> (INVOKER_INSTANCE; default 0)
          --topic-prefix P         prefix of every topic (INVOKER_TOPIC_PREFIX; default empty)
          --user-memory MB         memory for all containers (INVOKER_USER_MEMORY_MB; default 2048)
          --concurrency-max N      largest allowed action concurrency (INVOKER_CONCURRENCY_MAX; default 500)
          --peek-factor F          concurrentPeekFactor of the peek window (INVOKER_PEEK_FACTOR; default 0.5)
          --concurrent-topic       also consume invoker<N>concurrent, each topic with its own peek window:
                                   invoker<N> user-memory / 128 (one per container), invoker<N>concurrent
                                   the usual one (INVOKER_CONCURRENT_TOPIC=true; default off)
          --data DIR               data directory, SQLite store (INVOKER_DATA; default .data)
          --runtime DIR            the Node.js runtime folder (INVOKER_RUNTIME; default runtimes/nodejs)
          --url URL                admin endpoint (INVOKER_URL; default http://127.0.0.1:3233)
          --kafka-option K=V       extra librdkafka setting, repeatable
        {ContainerBackend.Help}
        """;

    /// <summary>Reads the settings; null with <paramref name="error"/> set when one is missing or malformed.</summary>
    public static ServeSettings? Parse(IReadOnlyList<string> args, out string? error)
    {
        var values = new Dictionary<string, string>();
        var extra = new Dictionary<string, string>();
        for (int i = 0; i < args.Count; i++)
        {
            string flag = args[i];
            if (flag == "--concurrent-topic")
            {
                // A switch: it takes no value.
                values["concurrent-topic"] = "true";
                continue;
            }

            if (!flag.StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                error = $"unexpected argument '{flag}'";
                return null;
            }

            string value = args[++i];
            if (flag == "--kafka-option")
            {
                int eq = value.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    error = $"--kafka-option needs KEY=VALUE, got '{value}'";
                    return null;
                }

                extra[value[..eq]] = value[(eq + 1)..];
                continue;
            }

            values[flag[2..]] = value;
        }

        string? Get(string name, string variable) => values.TryGetValue(name, out string? v) ? v : Environment.GetEnvironmentVariable(variable);

        error = null;
        string? kafka = Get("kafka", "INVOKER_KAFKA");
        if (string.IsNullOrEmpty(kafka))
        {
            error = "--kafka (or INVOKER_KAFKA) is required";
            return null;
        }

        if (ContainerBackend.Parse(Get, out error) is not { } backend)
        {
            return null;
        }

        try
        {
            return new ServeSettings
            {
                Kafka = kafka,
                Instance = int.Parse(Get("instance", "INVOKER_INSTANCE") ?? "0", CultureInfo.InvariantCulture),
                TopicPrefix = Get("topic-prefix", "INVOKER_TOPIC_PREFIX") ?? "",
                UserMemoryMegabytes = long.Parse(Get("user-memory", "INVOKER_USER_MEMORY_MB") ?? "2048", CultureInfo.InvariantCulture),
                ConcurrencyMax = int.Parse(Get("concurrency-max", "INVOKER_CONCURRENCY_MAX") ?? "500", CultureInfo.InvariantCulture),
                PeekFactor = double.Parse(Get("peek-factor", "INVOKER_PEEK_FACTOR") ?? "0.5", CultureInfo.InvariantCulture),
                ConcurrentTopic = bool.Parse(Get("concurrent-topic", "INVOKER_CONCURRENT_TOPIC") ?? "false"),
                DataDirectory = Get("data", "INVOKER_DATA") ?? ".data",
                RuntimeDirectory = Path.GetFullPath(Get("runtime", "INVOKER_RUNTIME") ?? Path.Combine("runtimes", "nodejs")),
                Url = Get("url", "INVOKER_URL") ?? "http://127.0.0.1:3233",
                KafkaExtra = extra,
                Backend = backend,
            };
        }
        catch (FormatException e)
        {
            error = $"a setting is not a number or boolean: {e.Message}";
            return null;
        }
    }
}
