using System.Text.Json;
using Perf.Invoker.Json;

namespace Perf.Invoker.Model;

/// <summary>
/// OpenWhisk's user event (docs/cluster.md, user events): one per activation on <c>&lt;prefix&gt;events</c> when
/// <c>whisk.user-events.enabled</c>. Members in OpenWhisk's order.
/// </summary>
[JsonModel]
public sealed partial class EventMessage
{
    /// <summary>The event type of an activation's event.</summary>
    public const string ActivationType = "Activation";

    /// <summary><c>invoker&lt;N&gt;</c>.</summary>
    public required string Source { get; init; }

    public required ActivationEvent Body { get; init; }

    public required string Subject { get; init; }

    public required string Namespace { get; init; }

    /// <summary>The invoking namespace's uuid.</summary>
    public required string UserId { get; init; }

    public required string EventType { get; init; }

    /// <summary>Epoch milliseconds when the event was made.</summary>
    public required long Timestamp { get; init; }

    /// <summary>
    /// The event of a final record, as OpenWhisk's <c>EventMessage.from</c> makes it; null when the record lacks the
    /// <c>path</c> or <c>kind</c> annotation, for which OpenWhisk sends none either.
    /// </summary>
    public static EventMessage? ForActivation(ActivationRecord record, string source, string userId, long timestamp)
    {
        ArgumentNullException.ThrowIfNull(record);
        string? path = null;
        string? kind = null;
        string? causedBy = null;
        long waitTime = 0;
        long initTime = 0;
        bool conductor = false;
        int memory = 0;
        foreach (Parameter annotation in record.Annotations)
        {
            switch (annotation.Key)
            {
                case "path": path = AsString(annotation.Value); break;
                case "kind": kind = AsString(annotation.Value); break;
                case "causedBy": causedBy = AsString(annotation.Value); break;
                case "waitTime": waitTime = AsInt64(annotation.Value) ?? 0; break;
                case "initTime": initTime = AsInt64(annotation.Value) ?? 0; break;
                case "conductor": conductor = annotation.Value.Utf8.Span.SequenceEqual("true"u8); break;
                case "limits": memory = LimitsMemory(annotation.Value); break;
            }
        }

        if (path is null || kind is null)
        {
            return null;
        }

        return new EventMessage
        {
            Source = source,
            Body = new ActivationEvent
            {
                Name = path,
                ActivationId = record.ActivationId,
                StatusCode = record.Response.StatusCode,
                Duration = record.Duration ?? 0,
                WaitTime = waitTime,
                InitTime = initTime,
                Kind = kind,
                Conductor = conductor,
                Memory = memory,
                CausedBy = causedBy,
                Size = record.Response.Size,
                UserDefinedStatusCode = UserDefinedStatusCode(record.Response.Result),
            },
            Subject = record.Subject,
            Namespace = record.Namespace,
            UserId = userId,
            EventType = ActivationType,
            Timestamp = timestamp,
        };
    }

    /// <summary>
    /// <c>result.error.statusCode</c>, else <c>result.statusCode</c>: an integer as is, any other value 400
    /// (OpenWhisk's BadRequest); null when neither is there.
    /// </summary>
    private static int? UserDefinedStatusCode(RawJson? result)
    {
        if (result is not { IsEmpty: false } json)
        {
            return null;
        }

        var reader = new Utf8JsonReader(json.Utf8.Span);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        int? topLevel = null;
        int? inError = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool isStatus = reader.ValueTextEquals("statusCode"u8);
            bool isError = reader.ValueTextEquals("error"u8);
            reader.Read();
            if (isStatus)
            {
                topLevel = StatusCode(ref reader);
            }
            else if (isError && reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    bool isNestedStatus = reader.ValueTextEquals("statusCode"u8);
                    reader.Read();
                    if (isNestedStatus)
                    {
                        inError = StatusCode(ref reader);
                    }

                    reader.Skip();
                }
            }

            reader.Skip();
        }

        return inError ?? topLevel;
    }

    private static int StatusCode(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int code) ? code : 400;

    private static string? AsString(RawJson value)
    {
        var reader = new Utf8JsonReader(value.Utf8.Span);
        return reader.Read() && reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
    }

    private static long? AsInt64(RawJson value)
    {
        var reader = new Utf8JsonReader(value.Utf8.Span);
        return reader.Read() && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long number) ? number : null;
    }

    private static int LimitsMemory(RawJson value)
    {
        try
        {
            return JsonModel.Read<ActionLimits>(value.Utf8).Memory ?? 0;
        }
        catch (JsonReadException)
        {
            return 0;
        }
    }
}

/// <summary>The body of an activation's event (OpenWhisk's <c>Activation</c>): times in milliseconds, memory in MB.</summary>
[JsonModel]
public sealed partial class ActivationEvent
{
    /// <summary>The <c>path</c> annotation: <c>namespace/package/action</c>.</summary>
    public required string Name { get; init; }

    public required ActivationId ActivationId { get; init; }

    public required int StatusCode { get; init; }

    public required long Duration { get; init; }

    public required long WaitTime { get; init; }

    public required long InitTime { get; init; }

    public required string Kind { get; init; }

    public required bool Conductor { get; init; }

    public required int Memory { get; init; }

    public string? CausedBy { get; init; }

    public int? Size { get; init; }

    public int? UserDefinedStatusCode { get; init; }
}
