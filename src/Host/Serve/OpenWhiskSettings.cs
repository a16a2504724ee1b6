using Perf.Invoker.Store;
using System.Globalization;
using Perf.Invoker.CouchDb;
using Perf.Invoker.Host.Engine;
using Perf.Invoker.Kafka;
using Perf.Invoker.Model;

namespace Perf.Invoker.Host.Serve;

/// <summary>
/// What <c>invoker serve</c> takes from OpenWhisk's environment (docs/cluster.md, "Starting the invoker the OpenWhisk
/// way"), each value checked: a malformed one is a <see cref="StartupException"/> naming its variable. Flags and
/// INVOKER_* variables win over these (<see cref="ApplyTo"/> makes them the settings' fallbacks).
/// </summary>
internal sealed class OpenWhiskSettings
{
    public const string DefaultUsername = "invoker.user";
    public const string DefaultPassword = "invoker.pass";

    /// <summary>Where the values came from, to name their variables.</summary>
    private OpenWhiskEnvironment _environment = null!;

    public string? KafkaHosts { get; private init; }

    /// <summary><c>PORT</c>: the admin port on every interface when --url is absent.</summary>
    public int? Port { get; private init; }

    /// <summary><c>RUNTIMES_MANIFEST</c>, checked; null when unset.</summary>
    public RuntimeManifest? Runtimes { get; private init; }

    /// <summary><c>__OW_API_HOST</c> of action containers, <c>proto://name:port</c>; empty without <c>WHISK_API_HOST_NAME</c>.</summary>
    public string ApiHost { get; private init; } = "";

    public string? TopicPrefix { get; private init; }

    /// <summary><c>whisk.container-pool.user-memory</c> in bytes, as OpenWhisk's ping writes it (<c>"2147483648 B"</c>).</summary>
    public ByteSize? UserMemory { get; private init; }

    /// <summary><c>whisk.concurrency-limit.{min,max,std}</c>; null members are unset.</summary>
    public int? ConcurrencyMin { get; private init; }

    public int? ConcurrencyMax { get; private init; }

    public int? ConcurrencyStd { get; private init; }

    /// <summary>Basic credentials of <c>POST /enable</c>, <c>/disable</c>, <c>GET /isEnabled</c>.</summary>
    public string Username { get; private init; } = DefaultUsername;

    public string Password { get; private init; } = DefaultPassword;

    /// <summary><c>whisk.invoker.resource.tags</c>: the ping's <c>tags</c>.</summary>
    public string[] Tags { get; private init; } = [];

    /// <summary><c>whisk.invoker.dedicated.namespaces</c>: the ping's <c>dedicatedNamespaces</c>.</summary>
    public string[] DedicatedNamespaces { get; private init; } = [];

    public bool UserEventsEnabled { get; private init; }

    /// <summary><c>whisk.kafka.topics.user-event.prefix</c>, OpenWhisk's default empty: events go to <c>&lt;it&gt;events</c>.</summary>
    public string UserEventTopicPrefix { get; private init; } = "";

    /// <summary><c>whisk.activation.payload.max</c> in bytes; null when unset.</summary>
    public long? PayloadMaxBytes { get; private init; }

    /// <summary>The cluster's CouchDB, null without <c>whisk.couchdb.host</c>.</summary>
    public CouchDbOptions? CouchDb { get; private init; }

    public ActivationStoreLevel StoreBlockingResultLevel { get; private init; }

    public ActivationStoreLevel StoreNonBlockingResultLevel { get; private init; }

    public string? DockerNetwork { get; private init; }

    /// <summary><c>whisk.container-factory.runtimes-registry.url</c>: the registry of manifest images that name none.</summary>
    public string? RuntimesRegistry { get; private init; }

    /// <summary>The set variables this invoker does not act on, each named once (<see cref="OpenWhiskEnvironment.Unread"/>).</summary>
    public IReadOnlyList<string> NotActedOn { get; private init; } = [];

    /// <summary><c>whisk.blacklist.poll-interval</c>: how often the namespace blacklist is read (OpenWhisk: 5 minutes).</summary>
    public TimeSpan? BlacklistPollInterval { get; private init; }

    /// <summary>
    /// <c>whisk.kafka.{common,consumer,producer}.*</c> as librdkafka settings, named as OpenWhisk's KafkaConfiguration names
    /// them (<c>session-timeout-ms</c> → <c>session.timeout.ms</c>); only those librdkafka shares with Java's client.
    /// </summary>
    public IReadOnlyDictionary<string, string> KafkaClient { get; private init; } = new Dictionary<string, string>();

    /// <summary>The largest message produced: the payload limit plus OpenWhisk's 6 KiB of overhead (docs/openwhisk.md §1).</summary>
    public int MaxMessageBytes => PayloadMaxBytes is { } payload ? (int)(payload + (6 * 1024)) : KafkaOptions.DefaultMaxMessageBytes;

    /// <summary>Reads and checks every value; <c>RUNTIMES_MANIFEST</c> is required when <paramref name="openWhiskWay"/>.</summary>
    public static OpenWhiskSettings Read(OpenWhiskEnvironment environment, bool openWhiskWay)
    {
        ArgumentNullException.ThrowIfNull(environment);
        string? manifest = environment.Variable("RUNTIMES_MANIFEST");
        if (manifest is null && openWhiskWay)
        {
            throw new StartupException("RUNTIMES_MANIFEST is required when started with --id (OpenWhisk's runtimes manifest, JSON)");
        }

        string? port = environment.Variable("PORT");
        long? userMemory = Bytes(environment, "whisk.container-pool.user-memory");
        if (userMemory is { } memory && memory >> 20 < InvokerSettings.MinUserMemoryMegabytes)
        {
            throw new StartupException($"{environment.VariableOf("whisk.container-pool.user-memory")} must be at least {InvokerSettings.MinUserMemoryMegabytes} MB, got '{environment.Config("whisk.container-pool.user-memory")}'");
        }

        long? payloadMax = Bytes(environment, "whisk.activation.payload.max");
        if (payloadMax is { } payload && payload is < 1 or > int.MaxValue - (6 * 1024))
        {
            throw new StartupException($"{environment.VariableOf("whisk.activation.payload.max")} must be a size from 1 B to 2 GB, got '{environment.Config("whisk.activation.payload.max")}'");
        }

        var settings = new OpenWhiskSettings
        {
            KafkaHosts = environment.Variable("KAFKA_HOSTS"),
            Port = port is null ? null
                : int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int number) && number is >= 1 and <= 65535 ? number
                : throw new StartupException($"PORT must be a port number from 1 to 65535, got '{port}'"),
            Runtimes = manifest is null ? null
                : RuntimeManifest.TryParse(manifest, out string? error) ?? throw new StartupException($"RUNTIMES_MANIFEST: {error}"),
            ApiHost = ApiHostOf(environment),
            TopicPrefix = environment.Config("whisk.kafka.topics.prefix"),
            UserMemory = userMemory is { } bytes ? new ByteSize(bytes, SizeUnit.B) : null,
            ConcurrencyMin = Count(environment, "whisk.concurrency-limit.min"),
            ConcurrencyMax = Count(environment, "whisk.concurrency-limit.max"),
            ConcurrencyStd = Count(environment, "whisk.concurrency-limit.std"),
            Username = environment.Config("whisk.invoker.username") ?? DefaultUsername,
            Password = environment.Config("whisk.invoker.password") ?? DefaultPassword,
            Tags = List(environment.Config("whisk.invoker.resource.tags")),
            DedicatedNamespaces = List(environment.Config("whisk.invoker.dedicated.namespaces")),
            UserEventsEnabled = Boolean(environment, "whisk.user-events.enabled"),
            UserEventTopicPrefix = environment.Config("whisk.kafka.topics.user-event.prefix") ?? "",
            PayloadMaxBytes = payloadMax,
            CouchDb = CouchDbOf(environment),
            StoreBlockingResultLevel = StoreLevel(environment, "whisk.activation.store-blocking-result-level"),
            StoreNonBlockingResultLevel = StoreLevel(environment, "whisk.activation.store-non-blocking-result-level"),
            DockerNetwork = environment.Config("whisk.container-factory.container-args.network"),
            RuntimesRegistry = environment.Config("whisk.container-factory.runtimes-registry.url"),
            BlacklistPollInterval = Duration(environment, "whisk.blacklist.poll-interval"),
            KafkaClient = KafkaClientOf(environment),
            // Last, so that every key and variable above counts as read.
            NotActedOn = environment.Unread(),
            _environment = environment,
        };
        return settings.ConcurrencyMin > (settings.ConcurrencyMax ?? int.MaxValue)
            ? throw new StartupException($"{environment.VariableOf("whisk.concurrency-limit.min")} ({settings.ConcurrencyMin}) must not be above the max ({settings.ConcurrencyMax})")
            : settings;
    }

    /// <summary>Makes these the fallbacks of the settings they stand for: a flag or INVOKER_* variable still wins.</summary>
    public void ApplyTo(SettingsReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        OpenWhiskEnvironment environment = _environment;
        if (KafkaHosts is { } hosts)
        {
            reader.Fallback(ServeSettings.KafkaSetting, hosts, "KAFKA_HOSTS");
        }

        if (Port is { } port)
        {
            // OpenWhisk's container listens on every interface.
            reader.Fallback(InvokerSettings.UrlSetting, string.Create(CultureInfo.InvariantCulture, $"http://*:{port}"), "PORT");
        }

        if (TopicPrefix is { } prefix)
        {
            reader.Fallback(ServeSettings.TopicPrefixSetting, prefix, environment.VariableOf("whisk.kafka.topics.prefix"));
        }

        if (UserMemory is { } memory)
        {
            reader.Fallback(InvokerSettings.UserMemorySetting, (memory.Bytes >> 20).ToString(CultureInfo.InvariantCulture), environment.VariableOf("whisk.container-pool.user-memory"));
        }

        if (ConcurrencyMax is { } max)
        {
            reader.Fallback(InvokerSettings.ConcurrencyMaxSetting, max.ToString(CultureInfo.InvariantCulture), environment.VariableOf("whisk.concurrency-limit.max"));
        }

        if (DockerNetwork is { } network)
        {
            reader.Fallback(ContainerBackend.DockerNetworkSetting, network, environment.VariableOf("whisk.container-factory.container-args.network"));
        }
    }

    /// <summary>OpenWhisk's <c>wskApiHost</c>: <c>proto://name:port</c>, proto https and port 443 by default.</summary>
    private static string ApiHostOf(OpenWhiskEnvironment environment)
    {
        string proto = environment.Variable("WHISK_API_HOST_PROTO") ?? "https";
        string port = environment.Variable("WHISK_API_HOST_PORT") ?? "443";
        return environment.Variable("WHISK_API_HOST_NAME") is { } name ? $"{proto}://{name}:{port}" : "";
    }

    private static long? Bytes(OpenWhiskEnvironment environment, string key) =>
        environment.Config(key) is not { } text ? null
        : HoconSize.TryParseBytes(text, out long bytes) ? bytes
        : throw new StartupException($"{environment.VariableOf(key)} must be a size like 2048m, 4 g or 512 MiB, got '{text}'");

    private static TimeSpan? Duration(OpenWhiskEnvironment environment, string key) =>
        environment.Config(key) is not { } text ? null
        : HoconDuration.TryParse(text, out TimeSpan duration) && duration > TimeSpan.Zero ? duration
        : throw new StartupException($"{environment.VariableOf(key)} must be a duration like 5 minutes or 500 ms, got '{text}'");

    /// <summary>Java client settings librdkafka knows by the same name; the others under those keys stay unread, so they are named.</summary>
    private static readonly string[] s_kafkaClientSettings =
    [
        "security-protocol", "session-timeout-ms", "heartbeat-interval-ms", "max-poll-interval-ms", "request-timeout-ms",
        "max-partition-fetch-bytes", "fetch-max-bytes", "acks", "linger-ms", "retry-backoff-ms", "reconnect-backoff-ms",
    ];

    private static Dictionary<string, string> KafkaClientOf(OpenWhiskEnvironment environment)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string section in new[] { "whisk.kafka.common.", "whisk.kafka.consumer.", "whisk.kafka.producer." })
        {
            foreach (string name in s_kafkaClientSettings)
            {
                if (environment.Config(section + name) is { } value)
                {
                    settings[name.Replace('-', '.')] = value;
                }
            }
        }

        return settings;
    }

    private static int? Count(OpenWhiskEnvironment environment, string key) =>
        environment.Config(key) is not { } text ? null
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= 1 ? value
        : throw new StartupException($"{environment.VariableOf(key)} must be a whole number of at least 1, got '{text}'");

    /// <summary>Typesafe Config's booleans: true/yes/on, false/no/off.</summary>
    private static bool Boolean(OpenWhiskEnvironment environment, string key) =>
        environment.Config(key) is not { } text ? false
        : text.Trim().ToLowerInvariant() switch
        {
            "true" or "yes" or "on" => true,
            "false" or "no" or "off" => false,
            _ => throw new StartupException($"{environment.VariableOf(key)} must be true or false, got '{text}'"),
        };

    /// <summary>A comma-separated list, as OpenWhisk's Invoker splits the tags and namespaces.</summary>
    private static string[] List(string? text) =>
        text is null ? [] : [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];

    private static ActivationStoreLevel StoreLevel(OpenWhiskEnvironment environment, string key)
    {
        if (environment.Config(key) is not { } text)
        {
            return ActivationStoreLevel.StoreAlways;
        }

        try
        {
            return ActivationStorePolicy.ParseLevel(text);
        }
        catch (FormatException)
        {
            throw new StartupException($"{environment.VariableOf(key)} must be STORE_ALWAYS, STORE_FAILURES or STORE_FAILURES_NOT_APPLICATION_ERRORS, got '{text}'");
        }
    }

    /// <summary>
    /// <c>whisk.couchdb.*</c>: null without a host; with one, OpenWhisk's CouchDbConfig needs protocol, port, username and
    /// password too; the provider is CouchDB or Cloudant (the same API).
    /// </summary>
    private static CouchDbOptions? CouchDbOf(OpenWhiskEnvironment environment)
    {
        string? host = environment.Config("whisk.couchdb.host");
        string? protocol = environment.Config("whisk.couchdb.protocol");
        string? port = environment.Config("whisk.couchdb.port");
        string? username = environment.Config("whisk.couchdb.username");
        string? password = environment.Config("whisk.couchdb.password");
        string? provider = environment.Config("whisk.couchdb.provider");
        string? entities = environment.Config("whisk.couchdb.databases.WhiskEntity");
        string? activations = environment.Config("whisk.couchdb.databases.WhiskActivation");
        string? subjects = environment.Config("whisk.couchdb.databases.WhiskAuth");
        if (host is null)
        {
            return null;
        }

        string[] missing = [.. new[] { ("protocol", protocol), ("port", port), ("username", username), ("password", password) }
            .Where(entry => entry.Item2 is null).Select(entry => $"CONFIG_whisk_couchdb_{entry.Item1}")];
        if (missing.Length > 0)
        {
            throw new StartupException($"{environment.VariableOf("whisk.couchdb.host")} is set, so {string.Join(", ", missing)} must be too");
        }

        if (provider is not (null or "CouchDB" or "Cloudant"))
        {
            throw new StartupException($"{environment.VariableOf("whisk.couchdb.provider")} must be CouchDB or Cloudant, got '{provider}'");
        }

        if (protocol is not ("http" or "https") || !int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int portNumber) || portNumber is < 1 or > 65535
            || !Uri.TryCreate(string.Create(CultureInfo.InvariantCulture, $"{protocol}://{host}:{portNumber}"), UriKind.Absolute, out Uri? server))
        {
            throw new StartupException($"CONFIG_whisk_couchdb_{{protocol,host,port}} must make an http or https address, got '{protocol}://{host}:{port}'");
        }

        var defaults = new CouchDbOptions { Server = server, Username = "", Password = "" };
        return new CouchDbOptions
        {
            Server = server,
            Username = username!,
            Password = password!,
            EntityDatabase = entities ?? defaults.EntityDatabase,
            ActivationDatabase = activations ?? defaults.ActivationDatabase,
            SubjectsDatabase = subjects ?? defaults.SubjectsDatabase,
        };
    }
}
