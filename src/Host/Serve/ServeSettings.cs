using Perf.Invoker.Feed;
using Perf.Invoker.Host.Engine;

namespace Perf.Invoker.Host.Serve;

/// <summary>The settings of <c>invoker serve</c>: the shared ones (<see cref="InvokerSettings"/>) and the Kafka ones.</summary>
internal sealed class ServeSettings
{
    public static readonly Setting KafkaSetting = new("kafka", "INVOKER_KAFKA");
    public static readonly Setting InstanceSetting = new("instance", "INVOKER_INSTANCE");
    public static readonly Setting TopicPrefixSetting = new("topic-prefix", "INVOKER_TOPIC_PREFIX");
    public static readonly Setting ConcurrentTopicSetting = new("concurrent-topic", "INVOKER_CONCURRENT_TOPIC", IsSwitch: true);
    public static readonly Setting KafkaOptionSetting = new("kafka-option", Variable: null, IsRepeatable: true);

    public static readonly Setting[] Table =
        [KafkaSetting, InstanceSetting, TopicPrefixSetting, ConcurrentTopicSetting, KafkaOptionSetting, .. InvokerSettings.Table];

    public required InvokerSettings Shared { get; init; }

    public required string Kafka { get; init; }

    public int Instance { get; init; }

    public string TopicPrefix { get; init; } = "";

    /// <summary>Also consume <c>invoker&lt;N&gt;concurrent</c>, with its own feed and peek window.</summary>
    public bool ConcurrentTopic { get; init; }

    public Dictionary<string, string> KafkaExtra { get; init; } = [];

    public static string Help => $"""
        usage: invoker serve --kafka HOST:PORT [settings]

        A drop-in invoker of an OpenWhisk cluster: consumes invoker<N>, acks on completed<C>, pings health every second,
        records in the SQLite store of --data; the admin endpoints (/ping, /metrics, /invoker/enable|disable) on --url.
        A setting missing or out of its range, a data directory or store that cannot be used, or an address that cannot
        be listened on stops the start with one line and exit code 2.

          --kafka HOST:PORT        Kafka bootstrap servers (INVOKER_KAFKA; required)
          --instance N             invoker instance: consumes invoker<N> (INVOKER_INSTANCE; default 0)
          --topic-prefix P         prefix of every topic (INVOKER_TOPIC_PREFIX; default empty)
          --concurrent-topic       also consume invoker<N>concurrent, each topic with its own peek window:
                                   invoker<N> user-memory / 128 (one per container), invoker<N>concurrent
                                   the usual one (INVOKER_CONCURRENT_TOPIC=true; default off)
          --kafka-option K=V       extra librdkafka setting, repeatable
        {InvokerSettings.Help("SQLite store")}
        """;

    /// <summary>Reads the settings; a <see cref="StartupException"/> names the first one missing or malformed.</summary>
    public static ServeSettings Parse(IReadOnlyList<string> args)
    {
        SettingsReader reader = SettingsReader.Parse(args, Table);
        string kafka = reader.Text(KafkaSetting) is { Length: > 0 } servers ? servers : throw new StartupException("--kafka (or INVOKER_KAFKA) is required");
        var extra = new Dictionary<string, string>();
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
            Shared = InvokerSettings.Read(reader),
            Kafka = kafka,
            Instance = reader.Number(InstanceSetting, 0, min: 0),
            TopicPrefix = reader.Text(TopicPrefixSetting, ""),
            ConcurrentTopic = reader.Switch(ConcurrentTopicSetting),
            KafkaExtra = extra,
        };
    }

    /// <summary><c>invoker&lt;N&gt;</c>'s window: one per container with --concurrent-topic (its actions run one per container), else the usual one.</summary>
    public int MaxPeek => ConcurrentTopic ? PeekWindow.NonConcurrentMaxPeek(Shared.UserMemoryMegabytes) : ConcurrentMaxPeek;

    /// <summary>The usual window (PeekWindow.MaxPeek), <c>invoker&lt;N&gt;concurrent</c>'s with --concurrent-topic.</summary>
    public int ConcurrentMaxPeek => PeekWindow.MaxPeek(Shared.UserMemoryMegabytes, Shared.ConcurrencyMax, Shared.PeekFactor);
}
