using System.Runtime.CompilerServices;
using System.Net;
using System.Text;
using Perf.Invoker.Http;
using Perf.Invoker.Json;
using Perf.Invoker.Model;

namespace Perf.Invoker.ActionProtocol;

/// <summary>
/// Talks to one action container: /init once, /run per activation, over a keep-alive pool of at most
/// the container's concurrency connections. Bodies are written by the generated JSON code straight
/// into the request buffer; every outcome, a broken reply included, maps to an <see cref="ActionResponse"/>
/// with OpenWhisk's status and message (docs/openwhisk.md §4–5).
/// </summary>
public sealed class ActionClient : IDisposable
{
    /// <summary>docs/openwhisk.md §5: a result over 1 MiB is an application error, truncated.</summary>
    public const int DefaultMaxResultLength = 1024 * 1024;

    /// <summary>
    /// The deepest reply taken as JSON: as deep as any JSON the invoker reads; a deeper reply is a developer error, as
    /// unparsable. What carries the result reads deeper by as many levels as it wraps it: a record two (the record, its
    /// response: <see cref="RecordMaxDepth"/>, the depth the stores read records at), an ack three (<see cref="AckMaxDepth"/>;
    /// OpenWhisk's controller sets no limit), so the deepest result still reads back from both.
    /// </summary>
    public const int MaxReplyDepth = JsonReader.DefaultMaxDepth;

    /// <summary>The depth a record holding the deepest result reads at.</summary>
    public const int RecordMaxDepth = MaxReplyDepth + 2;

    /// <summary>The depth a blocking ack holding the deepest result reads at.</summary>
    public const int AckMaxDepth = MaxReplyDepth + 3;

    private static readonly Http1BodyWriter<InitRequest> s_writeInit = static (body, request) => JsonModel.Write(body, request);
    private static readonly Http1BodyWriter<RunRequest> s_writeRun = static (body, request) => JsonModel.Write(body, request);

    private readonly Http1ConnectionPool _pool;
    private readonly Http1RequestHead _init;
    private readonly Http1RequestHead _run;
    private readonly int _maxResultLength;

    public ActionClient(EndPoint endPoint, int concurrency, int maxResultLength = DefaultMaxResultLength)
    {
        _maxResultLength = maxResultLength;
        _pool = new Http1ConnectionPool(new Http1ConnectionPoolOptions
        {
            EndPoint = endPoint,
            MaxConnections = concurrency,
            // One byte over the limit tells "exactly at the limit" from "over it".
            MaxResponseBodyLength = maxResultLength + 1,
        });
        _init = _pool.CreatePostHead("/init");
        _run = _pool.CreatePostHead("/run");
    }

    public Http1PoolCounters Counters => _pool.Counters;

    /// <summary>
    /// Sends /init, retrying refused connections until <paramref name="timeout"/> (the container may not
    /// listen yet). Success is <see cref="ActivationStatus.Success"/> with an empty result.
    /// </summary>
    public async ValueTask<ActionResponse> InitAsync(InitRequest request, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using Http1Response response = await _pool.PostAsync(_init, s_writeInit, request, timeout, retryConnectRefused: true, cancellationToken).ConfigureAwait(false);
        switch (response.Outcome)
        {
            case Http1Outcome.Ok when response.StatusCode == 200:
                return new ActionResponse(ActionResponseKind.Answered, ActivationStatus.Success, default);
            case Http1Outcome.Ok:
                return MapInitFailure(response.Body.Span);
            case Http1Outcome.Timeout:
                return ActionResponse.DeveloperError(ActionResponseKind.TimedOut, ActionMessages.TimedOut(timeout, duringInit: true));
            case Http1Outcome.Canceled:
                throw new OperationCanceledException(cancellationToken);
            default:
                return ActionResponse.DeveloperError(ActionResponseKind.NoResponse, ActionMessages.AbnormalInitialization);
        }
    }

    /// <summary>Sends /run and maps the answer; <paramref name="timeout"/> is the action's time limit.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ActionResponse> RunAsync(RunRequest request, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using Http1Response response = await _pool.PostAsync(_run, s_writeRun, request, timeout, retryConnectRefused: false, cancellationToken).ConfigureAwait(false);
        switch (response.Outcome)
        {
            case Http1Outcome.Ok when response.StatusCode == 503:
                return new ActionResponse(ActionResponseKind.Reschedule, ActivationStatus.WhiskError, default);
            case Http1Outcome.Ok:
                return MapRunReply(response.StatusCode, response.Body.Span, response.IsBodyTruncated, response.ContentLength, _maxResultLength);
            case Http1Outcome.Timeout:
                return ActionResponse.DeveloperError(ActionResponseKind.TimedOut, ActionMessages.TimedOut(timeout, duringInit: false));
            case Http1Outcome.Canceled:
                throw new OperationCanceledException(cancellationToken);
            case Http1Outcome.ConnectRefused or Http1Outcome.ConnectFailed or Http1Outcome.ConnectTimeout or Http1Outcome.PoolDisposed:
                // No request byte reached the runtime: safe to run it elsewhere.
                return new ActionResponse(ActionResponseKind.Reschedule, ActivationStatus.WhiskError, default);
            case Http1Outcome.ConnectionClosedBeforeResponse or Http1Outcome.ConnectionClosedDuringResponse:
                return ActionResponse.DeveloperError(ActionResponseKind.NoResponse, ActionMessages.AbnormalRun);
            default:
                return ActionResponse.DeveloperError(ActionResponseKind.Answered, ActionMessages.InvalidRunResponse(string.Empty));
        }
    }

    /// <summary>A /init answered with another status than 200: the runtime's "error" if it sent one, else its words verbatim.</summary>
    internal static ActionResponse MapInitFailure(ReadOnlySpan<byte> reply)
    {
        byte[] body = reply.ToArray();
        return TryReadObject(body, out RawJson? error) && error is { } e
            ? new ActionResponse(ActionResponseKind.Answered, ActivationStatus.DeveloperError, ActionResponse.ErrorResult(e))
            : ActionResponse.DeveloperError(ActionResponseKind.Answered, ActionMessages.InvalidInitResponse(Encoding.UTF8.GetString(body)));
    }

    // docs/openwhisk.md §5: 200 + object → success, or application error if it has "error"; 200 + array →
    // success; non-200 → developer error (its "error" if present); unparsable → developer error;
    // over the limit → application error, truncated. Static, of the response's parts, so the fuzz harness
    // (tests/Perf.Invoker.Fuzz) reaches it without a runtime.
    internal static ActionResponse MapRunReply(int statusCode, ReadOnlySpan<byte> reply, bool isBodyTruncated, long contentLength, int maxResultLength)
    {
        if (isBodyTruncated || reply.Length > maxResultLength)
        {
            long length = contentLength > maxResultLength ? contentLength : maxResultLength + 1L;
            return new ActionResponse(
                ActionResponseKind.Answered,
                ActivationStatus.ApplicationError,
                ActionResponse.ErrorResult(ActionMessages.Truncated(length, maxResultLength)),
                (int)Math.Min(length, int.MaxValue));
        }

        // The record and the ack outlive the pooled response buffer: the result is copied once, here.
        byte[] body = reply.ToArray();
        bool ok = statusCode == 200;
        if (TryReadObject(body, out RawJson? error))
        {
            if (error is { } e)
            {
                return new ActionResponse(ActionResponseKind.Answered, ok ? ActivationStatus.ApplicationError : ActivationStatus.DeveloperError, ActionResponse.ErrorResult(e));
            }

            if (ok)
            {
                return new ActionResponse(ActionResponseKind.Answered, ActivationStatus.Success, Value(body));
            }
        }
        else if (ok && IsArray(body))
        {
            return new ActionResponse(ActionResponseKind.Answered, ActivationStatus.Success, Value(body));
        }

        return ActionResponse.DeveloperError(ActionResponseKind.Answered, ActionMessages.InvalidRunResponse(Encoding.UTF8.GetString(body)));
    }

    /// <summary>
    /// The result is the JSON value alone: whitespace around it (a runtime's newline after the value) is no part of it, as
    /// OpenWhisk, which parses the reply, keeps none; the record and a <c>result=true</c> answer carry the value only.
    /// </summary>
    private static RawJson Value(byte[] body) => RawJson.FromTrusted(body.AsMemory().Trim(" \t\r\n"u8));

    /// <summary>True when the body is one well-formed JSON object; <paramref name="error"/> is its top-level "error" member.</summary>
    private static bool TryReadObject(byte[] body, out RawJson? error)
    {
        error = null;
        if (FirstToken(body) != '{')
        {
            return false;
        }

        try
        {
            error = JsonModel.Read<RuntimeReply>(body, MaxReplyDepth).Error;
            return true;
        }
        catch (JsonReadException)
        {
            return false;
        }
    }

    private static bool IsArray(byte[] body)
    {
        if (FirstToken(body) != '[')
        {
            return false;
        }

        try
        {
            JsonModel.Read<RawJson>(body, MaxReplyDepth);
            return true;
        }
        catch (JsonReadException)
        {
            return false;
        }
    }

    private static byte FirstToken(ReadOnlySpan<byte> body)
    {
        int at = body.IndexOfAnyExcept(" \t\r\n"u8);
        return at < 0 ? (byte)0 : body[at];
    }

    public void Dispose() => _pool.Dispose();
}

/// <summary>A runtime's JSON object reply, read only for its top-level "error" member; everything else is skipped.</summary>
[JsonModel]
internal sealed partial class RuntimeReply
{
    public RawJson? Error { get; init; }
}
