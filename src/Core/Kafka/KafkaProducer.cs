using Confluent.Kafka;

namespace Perf.Invoker.Kafka;

/// <summary>
/// The invoker's one Kafka producer, shared by acks (<see cref="Acknowledgements.KafkaAckSink"/>) and health pings
/// (<see cref="Feed.Kafka.KafkaHealthPinger"/>). <c>acks=1</c> as OpenWhisk (docs/openwhisk.md §1).
/// </summary>
public sealed class KafkaProducer : IDisposable
{
    private readonly IProducer<Null, byte[]> _producer;

    public KafkaProducer(KafkaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        var config = new ProducerConfig
        {
            BootstrapServers = options.BootstrapServers,
            ClientId = options.ClientId,
            Acks = Acks.Leader,
            // librdkafka refuses a larger message locally with MsgSizeTooLarge; the ack sink shrinks before that.
            MessageMaxBytes = options.MaxMessageBytes,
            LingerMs = options.LingerMs,
            EnableIdempotence = false,
        };
        KafkaConfig.ApplyExtra(config, options.Extra);
        _producer = new ProducerBuilder<Null, byte[]>(config)
            .SetErrorHandler((_, error) => Error?.Invoke(error))
            .SetLogHandler((_, message) => Log?.Invoke(message))
            .Build();
    }

    public KafkaOptions Options { get; }

    /// <summary>librdkafka's log lines (raised on its threads); dropped when nobody listens.</summary>
    public event Action<LogMessage>? Log;

    /// <summary>Client-level errors (a broker down, all brokers down); librdkafka retries by itself.</summary>
    public event Action<Error>? Error;

    /// <summary>
    /// Sends one message and completes when the leader has it. A failed delivery throws
    /// <see cref="ProduceException{TKey, TValue}"/>; cancelling stops the wait, not the send.
    /// </summary>
    public async ValueTask<DeliveryResult<Null, byte[]>> ProduceAsync(string topic, byte[] value, CancellationToken cancellationToken) =>
        await _producer.ProduceAsync(topic, new Message<Null, byte[]> { Value = value }, cancellationToken).ConfigureAwait(false);

    /// <summary>Waits for every message in flight; returns how many are still queued.</summary>
    public int Flush(TimeSpan timeout) => _producer.Flush(timeout);

    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(5));
        _producer.Dispose();
    }
}
