using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Perf.Invoker.Invocation;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// <c>POST …/actions/{name}</c>: an activation committed to the embedded queue, then answered blocking (the record,
/// or the result alone, once it completes) or not (202 with its id, also after the blocking wait; docs/openwhisk.md §7).
/// A namespace past its limits gets 429, a full queue 503 (<see cref="NamespaceThrottle"/>).
/// </summary>
internal sealed class InvokeEndpoint(
    ActionResolver resolver,
    ActivationRunner runner,
    ActivationFactory factory,
    SequenceRunner sequences,
    NamespaceThrottle throttle,
    Func<bool> isEnabled)
{
    /// <summary>OpenWhisk's payload limit of an invocation (whisk.activation.payload.max).</summary>
    public const int MaxPayloadBytes = 1024 * 1024;

    /// <summary>A blocking invocation answers 202 with the activation id after this (docs/openwhisk.md §7).</summary>
    public static readonly TimeSpan MaxBlockingWait = TimeSpan.FromSeconds(60);

    public Task InvokeAsync(HttpContext context, NamespaceKey key)
    {
        // OpenWhisk checks a namespace's throttles before it reads the action (429); the slot goes back unless enqueued.
        if (throttle.TryAdmit(key.Namespace, out string? refusal) is not { } slot)
        {
            return ApiResponses.ErrorAsync(context, StatusCodes.Status429TooManyRequests, refusal!);
        }

        // The usual request's action and body are at hand: the runner's frame is then the invoke's one async frame.
        ValueTask<Accepted?> accepting = AcceptAsync(context, key);
        return accepting.IsCompletedSuccessfully ? RespondAsync(context, key, slot, accepting.Result) : RespondLaterAsync(context, key, slot, accepting);
    }

    private async Task RespondLaterAsync(HttpContext context, NamespaceKey key, NamespaceCounters slot, ValueTask<Accepted?> accepting)
    {
        Accepted? accepted;
        try
        {
            accepted = await accepting;
        }
        catch
        {
            slot.Release();
            throw;
        }

        await RespondAsync(context, key, slot, accepted);
    }

    private Task RespondAsync(HttpContext context, NamespaceKey key, NamespaceCounters slot, Accepted? accepted)
    {
        if (accepted is not { } invocation)
        {
            slot.Release();
            return Task.CompletedTask;
        }

        context.Response.Headers["x-openwhisk-activation-id"] = invocation.ActivationId.ToString();
        return invocation.Blocking
            ? runner.RunAsync(invocation.ActivationId, key.Namespace, invocation.Message, invocation.Wait, new Answer(context, invocation.ActivationId, invocation.ResultOnly), slot, context.RequestAborted)
            : EnqueueAsync(context, slot, invocation);
    }

    private async Task EnqueueAsync(HttpContext context, NamespaceCounters slot, Accepted invocation)
    {
        // Durable before the answer: from here on a crash replays the activation instead of losing it.
        if (!await runner.EnqueueAsync(slot, invocation.ActivationId, invocation.Message, context.RequestAborted))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, ApiErrors.Overloaded);
            return;
        }

        await ApiResponses.WriteActivationIdAsync(context, invocation.ActivationId);
    }

    /// <summary>
    /// The invocation to enqueue, or null after answering why there is none (400, 404, 413, 503). A ValueTask, so the
    /// usual request, whose action and body are at hand, costs no task of its own.
    /// </summary>
    private async ValueTask<Accepted?> AcceptAsync(HttpContext context, NamespaceKey key)
    {
        if (await ActionEndpoints.FindAsync(resolver, context, key) is not { Action: { } action } resolved)
        {
            return null;
        }

        if (!isEnabled())
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, ApiErrors.Disabled);
            return null;
        }

        if (await RequestReader.ReadBodyAsync(context, MaxPayloadBytes) is not { } body)
        {
            return null;
        }

        if (FinalParameters.AreOverridden(action.Spec, resolved.Parameters, body))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, ApiErrors.ParametersNotAllowed);
            return null;
        }

        // A sequence's input is the request's parameters alone; each component merges its own defaults (SequenceRunner).
        bool sequence = SequenceRunner.IsSequence(action.Spec);
        if (InvocationContent.Merge(sequence ? null : resolved.Parameters, body, out string? malformed) is not { } content)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, ApiErrors.Malformed(malformed!));
            return null;
        }

        if (!TryQuery(context.Request.Query, out bool blocking, out bool resultOnly, out TimeSpan wait, out string? badQuery))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, badQuery);
            return null;
        }

        if (sequence)
        {
            await sequences.InvokeAsync(context, key, action, content, blocking, resultOnly, wait);
            return null;
        }

        // The action's default parameters (its package's and binding's merged under its own) ride in the message beside the request's: a message over what the handler
        // reads would be accepted only to end as a whisk error, so it is refused here, before it is durable.
        ActivationMessage message = factory.Create(action, key, content, blocking, binding: resolved.Binding);
        byte[] serialized = JsonModel.ToUtf8Bytes(message);
        if (serialized.Length > ActivationMessageHandler.MaxMessageBytes)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status413PayloadTooLarge, ApiErrors.TooLargeWithDefaults(serialized.Length, ActivationMessageHandler.MaxMessageBytes));
            return null;
        }

        return new Accepted(message.ActivationId, serialized, blocking, resultOnly, wait);
    }

    /// <summary><c>blocking</c>, <c>result</c> and <c>timeout</c> (milliseconds, at most <see cref="MaxBlockingWait"/>).</summary>
    private static bool TryQuery(IQueryCollection query, out bool blocking, out bool resultOnly, out TimeSpan wait, [NotNullWhen(false)] out string? error)
    {
        resultOnly = false;
        wait = MaxBlockingWait;
        if (!RequestReader.TryFlag(query, "blocking", out blocking, out error) || !RequestReader.TryFlag(query, "result", out resultOnly, out error))
        {
            return false;
        }

        if (query["timeout"] is [{ } timeoutText])
        {
            if (!int.TryParse(timeoutText, NumberStyles.None, CultureInfo.InvariantCulture, out int timeoutMillis))
            {
                error = $"timeout must be a number of milliseconds, got '{timeoutText}'";
                return false;
            }

            wait = TimeSpan.FromMilliseconds(Math.Min(timeoutMillis, MaxBlockingWait.TotalMilliseconds));
        }

        return true;
    }

    /// <summary>The completed activation: 200 on success, 500 for the invoker's fault, 502 for the action's.</summary>
    public static Task WriteOutcomeAsync(HttpContext context, ActivationRecord record, bool resultOnly)
    {
        int status = record.Response.Status switch
        {
            ActivationStatus.Success => StatusCodes.Status200OK,
            ActivationStatus.WhiskError => StatusCodes.Status500InternalServerError,
            _ => StatusCodes.Status502BadGateway,
        };
        return resultOnly
            ? ApiResponses.WriteRawAsync(context, status, record.Response.Result ?? RawJson.EmptyObject)
            : ApiResponses.WriteAsync(context, status, ActivationDocument.Of(record));
    }

    /// <summary>A blocking invoke's answer: the record (or its result alone), or 202 with the id when it did not complete in time.</summary>
    private readonly struct Answer(HttpContext context, ActivationId id, bool resultOnly) : IRecordHandler
    {
        public Task HandleAsync(ActivationRecord? record) =>
            record is null ? ApiResponses.WriteActivationIdAsync(context, id) : WriteOutcomeAsync(context, record, resultOnly);

        public Task OverloadedAsync() => ApiResponses.ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, ApiErrors.Overloaded);
    }

    /// <summary>An invocation that passed every check: its message as queued, and how the caller wants the answer.</summary>
    private readonly record struct Accepted(ActivationId ActivationId, byte[] Message, bool Blocking, bool ResultOnly, TimeSpan Wait);
}
