using Perf.Invoker.ActionProtocol;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Invocation;

/// <summary>
/// What the feed runs for each message (docs/architecture.md §1): parse, refuse a blacklisted namespace, suppress a
/// duplicate, look the action up, invoke. Bad input never stalls a partition (invariant 7): a message that cannot be
/// parsed is acknowledged as a whisk error when its activation id and controller can be read, otherwise reported
/// and skipped; either way the handler completes and the offset moves on.
/// </summary>
/// <param name="blacklist">Namespaces refused without a record (docs/cluster.md, "Namespace blacklist"); null: none.</param>
public sealed class ActivationMessageHandler(
    ActivationInvoker invoker,
    IActivationStore store,
    IActionSource actions,
    Action<string>? report = null,
    TimeProvider? time = null,
    INamespaceBlacklist? blacklist = null)
{
    /// <summary>docs/openwhisk.md §1: 1 MiB of payload plus some overhead.</summary>
    public const int MaxMessageBytes = (1024 * 1024) + (6 * 1024);

    /// <summary>OpenWhisk's answer to an activation of a blacklisted namespace.</summary>
    public const string NamespaceBlacklisted = "The action was not invoked due to a blacklisted namespace.";

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <param name="mayBeRedelivered">
    /// The feed cannot rule out that a predecessor handled this message (Kafka: its offset was below the partition's end
    /// when the partition was assigned; embedded: recovered from the queue at start). Only then is the store asked
    /// for its record, which keeps CouchDB off the path of fresh messages. True, the safe value, unless said otherwise.
    /// </param>
    public async Task HandleAsync(ReadOnlyMemory<byte> value, bool mayBeRedelivered = true, CancellationToken cancellationToken = default)
    {
        ActivationMessage message;
        try
        {
            if (value.Length > MaxMessageBytes)
            {
                throw new JsonReadException($"The message is {value.Length} bytes; the limit is {MaxMessageBytes}.", null, MaxMessageBytes);
            }

            message = JsonModel.Read<ActivationMessage>(value);
        }
        catch (JsonReadException e)
        {
            await RejectAsync(value, e.Message, cancellationToken).ConfigureAwait(false);
            return;
        }

        // Checked first, as OpenWhisk's invoker does: a blocked namespace costs no database read. The ack only keeps the
        // controller's books (a completion, whatever the message asked); no record is stored, to protect the database.
        if (blacklist?.Contains(message.User.Namespace.Name) == true)
        {
            ActivationRecord refused = FallbackRecord(message, ActivationStatus.ApplicationError, NamespaceBlacklisted);
            invoker.Metrics.CountStatus(refused.Response.StatusCode);
            await invoker.AcknowledgeAsync(refused, message.RootControllerIndex, message.Transid, blocking: false, cancellationToken).ConfigureAwait(false);
            return;
        }

        // A redelivery after a crash: the activation ran already, so its record is acknowledged again, not run again.
        if (mayBeRedelivered && await store.FindAsync(message.User.Namespace.Name, message.ActivationId, cancellationToken).ConfigureAwait(false) is { } done)
        {
            await invoker.AcknowledgeAsync(done, message.RootControllerIndex, message.Transid, message.Blocking, cancellationToken).ConfigureAwait(false);
            return;
        }

        ActionLookup lookup = await actions.FindAsync(message, cancellationToken).ConfigureAwait(false);
        if (!lookup.IsFound)
        {
            ActivationRecord failed = FallbackRecord(message, lookup.Status, lookup.Error);
            await invoker.CompleteAsync(message, failed, cancellationToken).ConfigureAwait(false);
            return;
        }

        await invoker.InvokeAsync(message, lookup.Action, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// OpenWhisk's record of an activation that never ran (its <c>generateFallbackActivation</c>, docs/cluster.md): the
    /// invoking user's namespace, the action's name and version, no duration, and the annotations <c>path</c> (the
    /// action without its version), <c>kind: "unknown"</c> and <c>causedBy: "sequence"</c> when the message has a cause.
    /// </summary>
    private ActivationRecord FallbackRecord(ActivationMessage message, ActivationStatus status, string error)
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        Parameter path = new() { Key = "path", Value = RawJson.FromString(message.Action.ToString()) };
        return new ActivationRecord
        {
            Namespace = message.User.Namespace.Name,
            Name = message.Action.Name,
            Subject = message.User.Subject,
            ActivationId = message.ActivationId,
            Start = now,
            End = now,
            Cause = message.Cause,
            Response = new ActivationResponse { StatusCode = (int)status, Result = ActionResponse.ErrorResult(error) },
            Version = message.Action.Version ?? "0.0.1",
            Annotations = message.Cause is null ? [path, s_unknownKind] : [path, s_unknownKind, s_causedBySequence],
            Duration = 0,
        };
    }

    private static readonly Parameter s_unknownKind = new() { Key = "kind", Value = RawJson.FromString("unknown") };
    private static readonly Parameter s_causedBySequence = new() { Key = "causedBy", Value = RawJson.FromString("sequence") };

    private async Task RejectAsync(ReadOnlyMemory<byte> value, string reason, CancellationToken cancellationToken)
    {
        // JSON must be UTF-8, so a message with one bad byte anywhere (in the payload, say) fails to read as a
        // whole. Its routing members may still be fine: read them from a copy with the bad bytes replaced (U+FFFD).
        if (!System.Text.Unicode.Utf8.IsValid(value.Span))
        {
            value = System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(value.Span));
        }

        // Its payload may also nest deeper than messages are read; the envelope skips it whatever its depth (the
        // message's size bounds that work), so that a deep payload does not hide a readable id.
        if (!TryRead(value, out MessageEnvelope? envelope, maxDepth: int.MaxValue) ||
            !TryRead(envelope.ActivationId, out ActivationId activationId) ||
            !TryRead(envelope.RootControllerIndex, out ControllerInstanceId? controller))
        {
            report?.Invoke($"Skipped a message without a readable activation id and controller: {reason}");
            return;
        }

        if (!TryRead(envelope.Transid, out TransactionId transid))
        {
            transid = new TransactionId { Id = "malformed", StartMillis = _time.GetUtcNow().ToUnixTimeMilliseconds() };
        }

        bool blocking = envelope.Blocking is { } b && b.Utf8.Span.SequenceEqual("true"u8);
        TryRead(envelope.Action, out FullyQualifiedEntityName? action);
        TryRead(envelope.User, out Identity? user);
        string message = $"The activation message could not be read: {reason}";
        report?.Invoke($"Activation {activationId}: {message}");
        ActivationRecord record = ErrorRecord(activationId, user?.Namespace.Name ?? action?.Path ?? "_", action?.Name ?? "_", user?.Subject ?? "_", message);
        await invoker.CompleteAsync(record, controller, transid, blocking, cancellationToken).ConfigureAwait(false);
    }

    private ActivationRecord ErrorRecord(ActivationId id, string @namespace, string name, string subject, string error)
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        return new ActivationRecord
        {
            Namespace = @namespace,
            Name = name,
            Subject = subject,
            ActivationId = id,
            Start = now,
            End = now,
            Response = ActionResponse.WhiskError(error).ToActivationResponse(),
            Version = "0.0.1",
            Duration = 0,
        };
    }

    private static bool TryRead<T>(RawJson? json, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out T? value) where T : IJsonValue<T>
    {
        value = default;
        return json is { IsEmpty: false } raw && TryRead(raw.Utf8, out value);
    }

    private static bool TryRead<T>(ReadOnlyMemory<byte> utf8, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out T? value, int maxDepth = JsonReader.DefaultMaxDepth)
        where T : IJsonValue<T>
    {
        value = default;
        if (utf8.IsEmpty)
        {
            return false;
        }

        try
        {
            value = JsonModel.Read<T>(utf8, maxDepth);
            return true;
        }
        catch (JsonReadException)
        {
            return false;
        }
    }
}

/// <summary>The members of an activation message that route its ack, each kept raw so one bad member does not hide the others.</summary>
[JsonModel]
internal sealed partial class MessageEnvelope
{
    public RawJson? Transid { get; init; }

    public RawJson? Action { get; init; }

    public RawJson? User { get; init; }

    public RawJson? ActivationId { get; init; }

    public RawJson? RootControllerIndex { get; init; }

    public RawJson? Blocking { get; init; }
}
