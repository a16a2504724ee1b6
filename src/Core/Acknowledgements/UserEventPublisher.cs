using Perf.Invoker.Json;
using Perf.Invoker.Kafka;
using Perf.Invoker.Model;

namespace Perf.Invoker.Acknowledgements;

/// <summary>
/// Sends OpenWhisk's user event of every final record (docs/cluster.md, user events) on <see cref="Topic"/>, beside the
/// ack. Fire and forget, as OpenWhisk's: the activation does not wait for the event's delivery, and a failed one is
/// reported through <see cref="PublishFailed"/>, never thrown at the activation.
/// </summary>
public sealed class UserEventPublisher
{
    private readonly KafkaProducer _producer;
    private readonly string _source;
    private readonly TimeProvider _time;
    private long _sent;

    /// <param name="topic"><c>&lt;whisk.kafka.topics.user-event.prefix&gt;events</c>.</param>
    /// <param name="source"><c>invoker&lt;N&gt;</c>.</param>
    public UserEventPublisher(KafkaProducer producer, string topic, string source, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(producer);
        _producer = producer;
        Topic = topic;
        _source = source;
        _time = time ?? TimeProvider.System;
    }

    public string Topic { get; }

    /// <summary>Events delivered so far.</summary>
    public long SentCount => Interlocked.Read(ref _sent);

    /// <summary>An event could not be delivered.</summary>
    public event Action<Exception>? PublishFailed;

    /// <summary>Sends the event of <paramref name="record"/>, of the namespace whose uuid is <paramref name="userId"/>; none for a record without path or kind.</summary>
    public void Publish(string userId, ActivationRecord record)
    {
        if (EventMessage.ForActivation(record, _source, userId, _time.GetUtcNow().ToUnixTimeMilliseconds()) is { } message)
        {
            _ = SendAsync(JsonModel.ToUtf8Bytes(message));
        }
    }

    private async Task SendAsync(byte[] value)
    {
        try
        {
            await _producer.ProduceAsync(Topic, value, CancellationToken.None).ConfigureAwait(false);
            Interlocked.Increment(ref _sent);
        }
#pragma warning disable CA1031 // Fire and forget: a lost event is reported, never an activation's failure.
        catch (Exception e)
#pragma warning restore CA1031
        {
            PublishFailed?.Invoke(e);
        }
    }
}
