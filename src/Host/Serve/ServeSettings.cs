using Perf.Invoker.Store;
using Perf.Invoker.CouchDb;
using Perf.Invoker.Feed;
using Perf.Invoker.Host.Engine;
using Perf.Invoker.Model;

namespace Perf.Invoker.Host.Serve;

/// <summary>
/// The settings of <c>invoker serve</c>: the shared ones (<see cref="InvokerSettings"/>), the Kafka ones, and OpenWhisk's
/// arguments and environment (<see cref="OpenWhiskSettings"/>, docs/cluster.md): <c>--id N --uniqueName S</c> starts it the
/// OpenWhisk way, where <c>KAFKA_HOSTS</c> and <c>RUNTIMES_MANIFEST</c> are required.
/// </summary>
internal sealed class ServeSettings
{
    public static readonly Setting KafkaSetting = new("kafka", "INVOKER_KAFKA");
    public static readonly Setting InstanceSetting = new("instance", "INVOKER_INSTANCE");
    public static readonly Setting TopicPrefixSetting = new("topic-prefix", "INVOKER_TOPIC_PREFIX");
    public static readonly Setting ConcurrentTopicSetting = new("concurrent-topic", "INVOKER_CONCURRENT_TOPIC", IsSwitch: true);
    public static readonly Setting KafkaOptionSetting = new("kafka-option", Variable: null, IsRepeatable: true);

    // OpenWhisk's arguments, spelled as its Invoker parses them.
    public static readonly Setting IdSetting = new("id", Variable: null);
    public static readonly Setting UniqueNameSetting = new("uniqueName", Variable: null);
    public static readonly Setting DisplayedNameSetting = new("displayedName", Variable: null);
    public static readonly Setting OverwriteIdSetting = new("overwriteId", Variable: null);

    public static readonly Setting[] Table =
    [
        KafkaSetting, InstanceSetting, TopicPrefixSetting, ConcurrentTopicSetting, KafkaOptionSetting,
        IdSetting, UniqueNameSetting, DisplayedNameSetting, OverwriteIdSetting, .. InvokerSettings.Table,
    ];

    public required InvokerSettings Shared { get; init; }

    public required string Kafka { get; init; }

    public int Instance { get; init; }

    public string TopicPrefix { get; init; } = "";

    /// <summary>Also consume <c>invoker&lt;N&gt;concurrent</c>, with its own feed and peek window.</summary>
    public bool ConcurrentTopic { get; init; }

    public Dictionary<string, string> KafkaExtra { get; init; } = [];

    /// <summary>Started with OpenWhisk's <c>--id</c>: the ping carries exactly the given names.</summary>
    public bool OpenWhiskWay { get; init; }

    /// <summary><c>--uniqueName</c>: the ping's uniqueName; part of the container prefix, as in OpenWhisk.</summary>
    public string? UniqueName { get; init; }

    /// <summary><c>--displayedName</c>: the ping's displayedName.</summary>
    public string? DisplayedName { get; init; }

    /// <summary>What OpenWhisk's environment says (credentials, tags, user events, the manifest, CouchDB, …).</summary>
    public required OpenWhiskSettings OpenWhisk { get; init; }

    /// <summary>What was set and is not acted on, each named once in the line at start.</summary>
    public IReadOnlyList<string> NotActedOn { get; init; } = [];

    /// <summary>The cluster's CouchDB (<c>whisk.couchdb.*</c>); null without <c>whisk.couchdb.host</c>, and serve keeps its SQLite store.</summary>
    public CouchDbOptions? CouchDb => OpenWhisk.CouchDb;

    /// <summary><c>whisk.activation.store-blocking-result-level</c>, STORE_ALWAYS by default.</summary>
    public ActivationStoreLevel StoreBlockingResultLevel => OpenWhisk.StoreBlockingResultLevel;

    /// <summary><c>whisk.activation.store-non-blocking-result-level</c>, STORE_ALWAYS by default.</summary>
    public ActivationStoreLevel StoreNonBlockingResultLevel => OpenWhisk.StoreNonBlockingResultLevel;

    /// <summary><c>RUNTIMES_MANIFEST</c>, else the built-in one (<see cref="RuntimeManifest.Local"/>): kinds, images, stem cells.</summary>
    public RuntimeManifest Runtimes => OpenWhisk.Runtimes ?? RuntimeManifest.Local;

    /// <summary>
    /// The id the pings and acks carry (docs/cluster.md, health pings): the OpenWhisk way, exactly the given names and the
    /// user memory as OpenWhisk writes it; otherwise invoker&lt;N&gt; for both names and the memory in MB.
    /// </summary>
    public InvokerInstanceId InstanceId
    {
        get
        {
            string name = $"invoker{Instance}";
            return new InvokerInstanceId
            {
                Instance = Instance,
                UniqueName = OpenWhiskWay ? UniqueName : UniqueName ?? name,
                DisplayedName = OpenWhiskWay ? DisplayedName : DisplayedName ?? name,
                // The CONFIG_ value unless a flag or INVOKER_USER_MEMORY_MB replaced it.
                UserMemory = OpenWhisk.UserMemory is { } memory && memory.Bytes >> 20 == Shared.UserMemoryMegabytes ? memory : ByteSize.FromMegabytes(Shared.UserMemoryMegabytes),
                Tags = OpenWhisk.Tags,
                DedicatedNamespaces = OpenWhisk.DedicatedNamespaces,
            };
        }
    }

    /// <summary>OpenWhisk's name of this invoker (its InvokerInstanceId.toString): <c>invoker0/0</c>, in the admin's answers.</summary>
    public string OpenWhiskName => string.Join('/', new[] { $"invoker{Instance}", InstanceId.UniqueName, InstanceId.DisplayedName }.OfType<string>());

    /// <summary>Docker container names start with it: OpenWhisk's <c>wsk&lt;uniqueName&gt;&lt;id&gt;_</c>, so its leftovers are removed too.</summary>
    public string ContainerPrefix => $"wsk{UniqueName}{Instance}_";

    public static string Help => $$"""
        usage: invoker serve --kafka HOST:PORT [settings]
               invoker serve --id N [--uniqueName S] [--displayedName S]     (OpenWhisk's way: settings from its environment)

        A drop-in invoker of an OpenWhisk cluster: consumes invoker<N>, acks on completed<C>, pings health every second,
        records in the SQLite store of --data; the admin endpoints (/ping, /metrics, /invoker/enable|disable, and
        OpenWhisk's POST /enable, POST /disable, GET /isEnabled behind Basic auth) on --url.
        A setting missing or out of its range, a data directory or store that cannot be used, or an address that cannot
        be listened on stops the start with one line and exit code 2.

          --kafka HOST:PORT        Kafka bootstrap servers (INVOKER_KAFKA, else KAFKA_HOSTS; required)
          --instance N             invoker instance: consumes invoker<N> (INVOKER_INSTANCE; default 0)
          --topic-prefix P         prefix of every topic (INVOKER_TOPIC_PREFIX, else CONFIG_whisk_kafka_topics_prefix;
                                   default empty)
          --concurrent-topic       also consume invoker<N>concurrent, each topic with its own peek window:
                                   invoker<N> user-memory / 128 (one per container), invoker<N>concurrent
                                   the usual one (INVOKER_CONCURRENT_TOPIC=true; default off)
          --kafka-option K=V       extra librdkafka setting, repeatable
        {{InvokerSettings.Help("SQLite store")}}

        OpenWhisk's arguments (as its deployments pass them to /init.sh):
          --id N                   the instance, as --instance; starts it the OpenWhisk way: KAFKA_HOSTS (or --kafka)
                                   and RUNTIMES_MANIFEST are then required, --containers is docker by default
          --uniqueName S           the ping's uniqueName; also in the container prefix wsk<S><N>_ (needs --id: no ZooKeeper)
          --displayedName S        the ping's displayedName
          --overwriteId N          accepted and not acted on (ZooKeeper's id assignment only)

        OpenWhisk's environment (a flag or INVOKER_* variable wins; every setting: docs/cluster.md):
          KAFKA_HOSTS, PORT (admin on http://*:PORT without --url), RUNTIMES_MANIFEST (kinds, images, stem cells),
          WHISK_API_HOST_{PROTO,PORT,NAME} (__OW_API_HOST), and CONFIG_* variables by OpenWhisk's rule:
          whisk.kafka.topics.prefix, whisk.container-pool.user-memory (2048m), whisk.concurrency-limit.{min,max,std},
          whisk.invoker.{username,password} (invoker.user / invoker.pass), whisk.invoker.resource.tags,
          whisk.invoker.dedicated.namespaces, whisk.user-events.enabled, whisk.kafka.topics.user-event.prefix,
          whisk.activation.payload.max, whisk.couchdb.*, whisk.activation.store-[non-]blocking-result-level,
          whisk.container-factory.container-args.network, whisk.container-factory.runtimes-registry.url,
          whisk.blacklist.poll-interval (5 minutes), whisk.kafka.{common,consumer,producer}.* (those librdkafka shares).
          Any other one set is named once at start: "not acted on: …".
        """;

    /// <summary>Reads the settings; a <see cref="StartupException"/> names the first one missing or malformed.</summary>
    public static ServeSettings Parse(IReadOnlyList<string> args) => Parse(args, OpenWhiskEnvironment.FromProcess());

    public static ServeSettings Parse(IReadOnlyList<string> args, OpenWhiskEnvironment environment)
    {
        SettingsReader reader = SettingsReader.Parse(args, Table);
        bool openWhiskWay = reader.Given(IdSetting) || reader.Given(UniqueNameSetting);
        if (reader.Given(UniqueNameSetting) && !reader.Given(IdSetting))
        {
            // OpenWhisk's Invoker asks ZooKeeper for an id then (InstanceIdAssigner); this invoker has no ZooKeeper.
            throw new StartupException("--uniqueName without --id needs ZooKeeper to assign the id, which this invoker does not use: give --id N too");
        }

        if (reader.Given(IdSetting) && reader.Given(InstanceSetting))
        {
            throw new StartupException("--id and --instance are the same setting: give one");
        }

        OpenWhiskSettings openWhisk = OpenWhiskSettings.Read(environment, openWhiskWay);
        openWhisk.ApplyTo(reader);
        if (openWhiskWay)
        {
            // OpenWhisk's default container factory is Docker's; its image has no node for process containers either.
            reader.Fallback(ContainerBackend.ContainersSetting, "docker", "--id");
        }
        string kafka = reader.Text(KafkaSetting) is { Length: > 0 } servers ? servers
            : throw new StartupException(openWhiskWay ? "KAFKA_HOSTS (or --kafka) is required" : "--kafka (or INVOKER_KAFKA) is required");
        // Only ZooKeeper's id assignment reads it, and --id always wins there: checked, then named as not acted on.
        bool overwriteId = reader.Given(OverwriteIdSetting) && reader.Number(OverwriteIdSetting, 0, min: 0) >= 0;
        // OpenWhisk's Kafka client settings first, so that a --kafka-option of the same name wins.
        var extra = new Dictionary<string, string>(openWhisk.KafkaClient);
        foreach (string option in reader.All(KafkaOptionSetting))
        {
            int eq = option.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new StartupException($"--kafka-option needs KEY=VALUE, got '{option}'");
            }

            extra[option[..eq]] = option[(eq + 1)..];
        }

        return new ServeSettings
        {
            Shared = InvokerSettings.Read(reader, openWhisk.ConcurrencyMin ?? 1, openWhisk.ConcurrencyStd ?? 1),
            Kafka = kafka,
            Instance = reader.Given(IdSetting) ? reader.Number(IdSetting, 0, min: 0) : reader.Number(InstanceSetting, 0, min: 0),
            TopicPrefix = reader.Text(TopicPrefixSetting, ""),
            ConcurrentTopic = reader.Switch(ConcurrentTopicSetting),
            KafkaExtra = extra,
            OpenWhiskWay = openWhiskWay,
            UniqueName = reader.Text(UniqueNameSetting),
            DisplayedName = reader.Text(DisplayedNameSetting),
            OpenWhisk = openWhisk,
            NotActedOn =
            [
                .. openWhisk.NotActedOn,
                .. overwriteId ? ["--overwriteId (ZooKeeper's id assignment)"] : Array.Empty<string>(),
                // The pool keeps each stem cell's initial count: reactive prewarming is checked, not acted on.
                .. (openWhisk.Runtimes?.StemCells ?? []).Where(cell => cell.Reactive is not null).Select(cell => $"RUNTIMES_MANIFEST stemCells reactive ({cell.Kind})"),
            ],
        };
    }

    /// <summary><c>invoker&lt;N&gt;</c>'s window: one per container with --concurrent-topic (its actions run one per container), else the usual one.</summary>
    public int MaxPeek => ConcurrentTopic ? PeekWindow.NonConcurrentMaxPeek(Shared.UserMemoryMegabytes) : ConcurrentMaxPeek;

    /// <summary>The usual window (PeekWindow.MaxPeek), <c>invoker&lt;N&gt;concurrent</c>'s with --concurrent-topic.</summary>
    public int ConcurrentMaxPeek => PeekWindow.MaxPeek(Shared.UserMemoryMegabytes, Shared.ConcurrencyMax, Shared.PeekFactor);
}
