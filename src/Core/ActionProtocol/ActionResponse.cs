using Perf.Invoker.Json;
using Perf.Invoker.Model;

namespace Perf.Invoker.ActionProtocol;

/// <summary>What to do with the container after an exchange, beyond the activation's own status.</summary>
public enum ActionResponseKind : byte
{
    /// <summary>The runtime answered; <see cref="ActionResponse.Status"/> says how the activation went.</summary>
    Answered,

    /// <summary>No answer within the action's time limit (docs/openwhisk.md §4: timeout annotation).</summary>
    TimedOut,

    /// <summary>The connection closed without a response: the runtime crashed or exited.</summary>
    NoResponse,

    /// <summary>
    /// The runtime could not take the request (503, or a refused connection on a running container):
    /// nothing ran, so the activation is rescheduled elsewhere rather than failed (docs/openwhisk.md §6).
    /// </summary>
    Reschedule,
}

/// <summary>
/// The outcome of one /init or /run, mapped to OpenWhisk's activation response (docs/openwhisk.md §4–5).
/// A broken reply is a value here, never an exception.
/// </summary>
public readonly struct ActionResponse
{
    public ActionResponse(ActionResponseKind kind, ActivationStatus status, RawJson result, int? size = null)
    {
        Kind = kind;
        Status = status;
        Result = result;
        Size = size;
    }

    public ActionResponseKind Kind { get; }

    public ActivationStatus Status { get; }

    /// <summary>The activation's result: the action's JSON on success, <c>{"error":…}</c> otherwise. Owned (not pooled) memory.</summary>
    public RawJson Result { get; }

    /// <summary>The body's real size when it was over the limit and truncated.</summary>
    public int? Size { get; }

    public bool IsSuccess => Kind == ActionResponseKind.Answered && Status == ActivationStatus.Success;

    /// <summary>Statuses 0 and 1 keep the container; 2 and 3 destroy it (docs/openwhisk.md §4).</summary>
    public bool KeepsContainer => Kind == ActionResponseKind.Answered && Status is ActivationStatus.Success or ActivationStatus.ApplicationError;

    public ActivationResponse ToActivationResponse() => new() { StatusCode = (int)Status, Result = Result.IsEmpty ? null : Result, Size = Size };

    public static ActionResponse DeveloperError(ActionResponseKind kind, string message) =>
        new(kind, ActivationStatus.DeveloperError, ErrorResult(message));

    public static ActionResponse WhiskError(string message) =>
        new(ActionResponseKind.Answered, ActivationStatus.WhiskError, ErrorResult(message));

    /// <summary><c>{"error":"message"}</c>.</summary>
    public static RawJson ErrorResult(string message)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(message.Length + 16);
        var writer = new JsonWriter(buffer);
        writer.WriteRaw("{\"error\":"u8);
        writer.WriteString(message);
        writer.WriteByte((byte)'}');
        writer.Flush();
        return RawJson.FromTrusted(buffer.WrittenMemory);
    }

    /// <summary><c>{"error":&lt;value&gt;}</c> with a JSON value taken verbatim.</summary>
    public static RawJson ErrorResult(RawJson value)
    {
        byte[] bytes = new byte[value.Utf8.Length + 10];
        "{\"error\":"u8.CopyTo(bytes);
        value.Utf8.Span.CopyTo(bytes.AsSpan(9));
        bytes[^1] = (byte)'}';
        return RawJson.FromTrusted(bytes);
    }
}
