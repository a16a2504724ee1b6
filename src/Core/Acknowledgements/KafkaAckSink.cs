using System.Collections.Concurrent;
using Confluent.Kafka;
using Perf.Invoker.Buffers;
using Perf.Invoker.Json;
using Perf.Invoker.Kafka;
using Perf.Invoker.Model;

namespace Perf.Invoker.Acknowledgements;

/// <summary>
/// Acks on <c>completed&lt;C&gt;</c> (docs/openwhisk.md §3). Each message is written by the generated JSON
/// writer into a per-thread pooled buffer; one over <see cref="KafkaOptions.MaxMessageBytes"/> is sent
/// again with <c>response</c> shrunk to the activation id. A failed delivery faults the returned task
/// with <see cref="ProduceException{TKey, TValue}"/>, so the caller knows the ack is not out.
/// </summary>
public sealed class KafkaAckSink : IAcknowledgementSink
{
    /// <summary>A buffer that grew past this (a huge record) goes back to the pool after use.</summary>
    private const int RetainedBufferBytes = 64 * 1024;

    /// <summary>Serialization scratch; used synchronously only, so one per thread needs no pool.</summary>
    [ThreadStatic]
    private static PooledBufferWriter? t_buffer;

    private readonly KafkaProducer _producer;

    /// <summary>Topic name per controller <c>asString</c>, so an ack builds no string.</summary>
    private readonly ConcurrentDictionary<string, string> _topics = new(StringComparer.Ordinal);

    private long _shrunk;

    public KafkaAckSink(KafkaProducer producer)
    {
        ArgumentNullException.ThrowIfNull(producer);
        _producer = producer;
    }

    /// <summary>How many acks went out with <c>response</c> shrunk to the activation id.</summary>
    public long ShrunkCount => Volatile.Read(ref _shrunk);

    public ValueTask SendCombinedAsync(ControllerInstanceId controller, CombinedCompletionAndResultMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(controller);
        ArgumentNullException.ThrowIfNull(message);
        byte[]? value = Serialize(message);
        if (value is null)
        {
            return SendShrunkAsync(controller, message, cancellationToken);
        }

        return SendAsync(controller, value, message, cancellationToken);
    }

    public ValueTask SendCompletionAsync(ControllerInstanceId controller, CompletionMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(controller);
        ArgumentNullException.ThrowIfNull(message);
        // A completion carries no record, so it is always far under the limit.
        byte[] value = Serialize(message) ?? JsonModel.ToUtf8Bytes(message);
        return SendAsync(controller, value, shrinkable: null, cancellationToken);
    }

    /// <summary>Blocking activations whose logs are collected separately: the result before the completion.</summary>
    public async ValueTask SendResultAsync(ControllerInstanceId controller, ResultMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(controller);
        ArgumentNullException.ThrowIfNull(message);
        var shrunk = new ResultMessage { Transid = message.Transid, Response = new AckResponse(message.Response.ActivationId) };
        byte[]? value = message.Response.Record is null ? null : Serialize(message);
        if (value is null)
        {
            Interlocked.Increment(ref _shrunk);
            value = JsonModel.ToUtf8Bytes(shrunk);
        }

        try
        {
            await _producer.ProduceAsync(Topic(controller), value, cancellationToken).ConfigureAwait(false);
        }
        catch (ProduceException<Null, byte[]> e) when (e.Error.Code == ErrorCode.MsgSizeTooLarge && message.Response.Record is not null)
        {
            // The broker's limit is lower than ours: the same rule applies.
            Interlocked.Increment(ref _shrunk);
            await _producer.ProduceAsync(Topic(controller), JsonModel.ToUtf8Bytes(shrunk), cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask SendAsync(ControllerInstanceId controller, byte[] value, CombinedCompletionAndResultMessage? shrinkable, CancellationToken cancellationToken)
    {
        try
        {
            await _producer.ProduceAsync(Topic(controller), value, cancellationToken).ConfigureAwait(false);
        }
        catch (ProduceException<Null, byte[]> e) when (e.Error.Code == ErrorCode.MsgSizeTooLarge && shrinkable?.Response.Record is not null)
        {
            await SendShrunkAsync(controller, shrinkable, cancellationToken).ConfigureAwait(false);
        }
    }

    private ValueTask SendShrunkAsync(ControllerInstanceId controller, CombinedCompletionAndResultMessage message, CancellationToken cancellationToken)
    {
        // docs/openwhisk.md §3: an ack too large for Kafka is sent with response shrunk to the activation id string.
        Interlocked.Increment(ref _shrunk);
        var shrunk = new CombinedCompletionAndResultMessage
        {
            Transid = message.Transid,
            Response = new AckResponse(message.Response.ActivationId),
            IsSystemError = message.IsSystemError,
            Instance = message.Instance,
        };
        return SendAsync(controller, JsonModel.ToUtf8Bytes(shrunk), shrinkable: null, cancellationToken);
    }

    /// <summary>The message's bytes, or null when they exceed the limit.</summary>
    private byte[]? Serialize<T>(T message) where T : IJsonValue<T>
    {
        PooledBufferWriter buffer = t_buffer ??= new PooledBufferWriter();
        buffer.Reset();
        try
        {
            JsonModel.Write(buffer, message);
            // Confluent.Kafka takes whole arrays only (librdkafka copies them), so one exact copy is made.
            return buffer.WrittenCount > _producer.Options.MaxMessageBytes ? null : buffer.WrittenSpan.ToArray();
        }
        finally
        {
            buffer.Trim(RetainedBufferBytes);
        }
    }

    private string Topic(ControllerInstanceId controller) =>
        _topics.TryGetValue(controller.AsString, out string? topic)
            ? topic
            : _topics.GetOrAdd(controller.AsString, _producer.Options.CompletedTopic(controller.AsString));
}
