using Perf.Invoker.Json;

namespace Perf.Invoker.Model;

/// <summary>
/// Blocking activations without separately collected logs: result and completion in one message
/// (docs/openwhisk.md §3). The controller recognizes it by having both <c>instance</c> and <c>response</c>.
/// </summary>
[JsonModel]
public sealed partial class CombinedCompletionAndResultMessage
{
    public required TransactionId Transid { get; init; }

    public required AckResponse Response { get; init; }

    public bool? IsSystemError { get; init; }

    public required InvokerInstanceId Instance { get; init; }
}

/// <summary>Frees the controller's slot for an activation: <c>instance</c> and no <c>response</c>.</summary>
[JsonModel]
public sealed partial class CompletionMessage
{
    public required TransactionId Transid { get; init; }

    public required ActivationId ActivationId { get; init; }

    public bool? IsSystemError { get; init; }

    public required InvokerInstanceId Instance { get; init; }
}

/// <summary>The result for a blocking caller, sent before its <see cref="CompletionMessage"/>: no <c>instance</c>.</summary>
[JsonModel]
public sealed partial class ResultMessage
{
    public required TransactionId Transid { get; init; }

    public required AckResponse Response { get; init; }
}

/// <summary>
/// An ack's <c>response</c>: the whole record, or only the activation id string when the record would
/// make the message too large for Kafka (docs/openwhisk.md §3).
/// </summary>
public readonly struct AckResponse : IJsonValue<AckResponse>
{
    public AckResponse(ActivationRecord record)
    {
        Record = record;
        ActivationId = record.ActivationId;
    }

    public AckResponse(ActivationId activationId) => ActivationId = activationId;

    /// <summary>The record, or null when only the id was sent.</summary>
    public ActivationRecord? Record { get; }

    public ActivationId ActivationId { get; }

    public static AckResponse ReadJson(ref JsonReader reader) =>
        reader.TokenType == System.Text.Json.JsonTokenType.String
            ? new AckResponse(ActivationId.ReadJson(ref reader))
            : new AckResponse(ActivationRecord.ReadJson(ref reader));

    public void WriteJson(ref JsonWriter writer)
    {
        if (Record is not null)
        {
            Record.WriteJson(ref writer);
        }
        else
        {
            ActivationId.WriteJson(ref writer);
        }
    }
}
