using Perf.Invoker.Acknowledgements;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Perf.Invoker.Feed.Embedded;
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
    SqliteActionStore actions,
    SqliteActivationStore records,
    EmbeddedActivationFeed feed,
    ActivationWaiters waiters,
    ActivationFactory factory,
    NamespaceThrottle throttle,
    Func<bool> isEnabled)
{
    /// <summary>OpenWhisk's payload limit of an invocation (whisk.activation.payload.max).</summary>
    public const int MaxPayloadBytes = 1024 * 1024;

    /// <summary>A blocking invocation answers 202 with the activation id after this (docs/openwhisk.md §7).</summary>
    public static readonly TimeSpan MaxBlockingWait = TimeSpan.FromSeconds(60);

    public async Task InvokeAsync(HttpContext context, NamespaceKey key)
    {
        // OpenWhisk checks a namespace's throttles before it reads the action (429); the slot goes back unless enqueued.
        if (throttle.TryAdmit(key.Namespace, out string? refusal) is not { } slot)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status429TooManyRequests, refusal!);
            return;
        }

        Accepted? checkedRequest = null;
        try
        {
            checkedRequest = await AcceptAsync(context, key);
        }
        finally
        {
            if (checkedRequest is null)
            {
                slot.Release();
            }
        }

        if (checkedRequest is not { } accepted)
        {
            return;
        }

        ActivationId id = accepted.ActivationId;
        context.Response.Headers["x-openwhisk-activation-id"] = id.ToString();
        // Registered before the enqueue, so a fast activation's ack cannot arrive before anyone waits for it.
        Task<ActivationRecord?>? completion = accepted.Blocking ? waiters.Register(id) : null;
        try
        {
            // Durable before the answer: from here on a crash replays the activation instead of losing it.
            if (!await throttle.EnqueueAsync(slot, id, feed, accepted.Message, context.RequestAborted))
            {
                await ApiResponses.ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, ApiErrors.Overloaded);
                return;
            }
            if (completion is null)
            {
                await ApiResponses.WriteActivationIdAsync(context, id);
                return;
            }

            ActivationRecord? record;
            try
            {
                record = await completion.WaitAsync(accepted.Wait, context.RequestAborted);
            }
            catch (TimeoutException)
            {
                await ApiResponses.WriteActivationIdAsync(context, id);
                return;
            }

            record ??= await records.FindAsync(key.Namespace, id, context.RequestAborted);
            if (record is null)
            {
                await ApiResponses.WriteActivationIdAsync(context, id);
                return;
            }

            await WriteOutcomeAsync(context, record, accepted.ResultOnly);
        }
        finally
        {
            waiters.Forget(id);
        }
    }

    /// <summary>
    /// The invocation to enqueue, or null after answering why there is none (400, 404, 413, 503). A ValueTask, so the
    /// usual request, whose action and body are at hand, costs no task of its own.
    /// </summary>
    private async ValueTask<Accepted?> AcceptAsync(HttpContext context, NamespaceKey key)
    {
        if (await ActionEndpoints.FindAsync(actions, context, key) is not { } action)
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

        if (InvocationContent.Merge(action.Spec.Parameters, body, out string? malformed) is not { } content)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, ApiErrors.Malformed(malformed!));
            return null;
        }

        if (!TryQuery(context.Request.Query, out bool blocking, out bool resultOnly, out TimeSpan wait, out string? badQuery))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, badQuery);
            return null;
        }

        // The action's default parameters ride in the message beside the request's: a message over what the handler
        // reads would be accepted only to end as a whisk error, so it is refused here, before it is durable.
        ActivationMessage message = factory.Create(action, key, content, blocking);
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
    private static Task WriteOutcomeAsync(HttpContext context, ActivationRecord record, bool resultOnly)
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

    /// <summary>An invocation that passed every check: its message as queued, and how the caller wants the answer.</summary>
    private readonly record struct Accepted(ActivationId ActivationId, byte[] Message, bool Blocking, bool ResultOnly, TimeSpan Wait);
}
