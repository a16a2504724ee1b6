namespace Perf.Invoker.Kafka;

/// <summary>How this invoker reaches Kafka and names its topics (docs/openwhisk.md §1).</summary>
public sealed class KafkaOptions
{
    /// <summary>OpenWhisk's limit: 1 MiB of payload plus ~6 KiB of message overhead (docs/openwhisk.md §1).</summary>
    public const int DefaultMaxMessageBytes = (1024 * 1024) + (6 * 1024);

    /// <summary>Comma-separated <c>host:port</c> list.</summary>
    public required string BootstrapServers { get; init; }

    /// <summary>Put before every topic name (OpenWhisk's <c>kafka.topics.prefix</c>); empty by default.</summary>
    public string TopicPrefix { get; init; } = "";

    /// <summary>The largest message this invoker produces; an ack over it is shrunk (docs/openwhisk.md §3).</summary>
    public int MaxMessageBytes { get; init; } = DefaultMaxMessageBytes;

    public string ClientId { get; init; } = "invoker";

    /// <summary>How long the producer may hold a message to batch it; acks are latency, so short.</summary>
    public double LingerMs { get; init; } = 1;

    /// <summary>
    /// How many fetched <c>invoker&lt;N&gt;</c> messages the consumer holds before it stops fetching by itself
    /// (it goes on at half); bounds memory when the feed stops reading without pausing.
    /// </summary>
    public int MaxBufferedMessages { get; init; } = 512;

    /// <summary>Further librdkafka settings (security, timeouts), applied last so they win.</summary>
    public IReadOnlyDictionary<string, string>? Extra { get; init; }

    /// <summary><c>invoker&lt;N&gt;</c>: the activations for invoker N, and its consumer group.</summary>
    public string InvokerTopic(int instance) => TopicPrefix + "invoker" + instance.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// <c>invoker&lt;N&gt;concurrent</c>: the activations of concurrent actions for invoker N, consumed (when the host turns
    /// it on) by a second consumer in its own group of the same name, beside <see cref="InvokerTopic"/>.
    /// </summary>
    public string ConcurrentInvokerTopic(int instance) => InvokerTopic(instance) + "concurrent";

    /// <summary><c>completed&lt;C&gt;</c>, C = the controller's <c>asString</c>.</summary>
    public string CompletedTopic(string controller) => TopicPrefix + "completed" + controller;

    public string HealthTopic => TopicPrefix + "health";
}
