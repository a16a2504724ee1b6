using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace Perf.Invoker.Http;

/// <summary>
/// One request in flight, and the pooled state it needs: the request bytes (head written in front of the
/// body), the response parser and body buffer, the deadline, and the waiter that parks it in its pool's
/// FIFO queue when every connection is busy. Exchanges cycle through their pool; a response that has a
/// body keeps its exchange until the response is disposed.
/// </summary>
internal sealed class Http1Exchange : IValueTaskSource<Http1PoolGrant>
{
    private static readonly Action<object?> s_cancelFromCaller = static state => ((Http1Exchange)state!).CancelFromCaller();
    private static readonly Action<object?> s_cancelWait = static state =>
    {
        var exchange = (Http1Exchange)state!;
        exchange._pool.CancelWait(exchange);
    };

    private readonly Http1ConnectionPool _pool;

    /// <summary>Deadline of the current request, and the caller's cancellation forwarded into it; reset (or replaced once canceled) between requests.</summary>
    private CancellationTokenSource _cts = new();

    /// <summary>Forwards the caller's token into <see cref="_cts"/>; default between requests.</summary>
    private CancellationTokenRegistration _callerRegistration;

    /// <summary>Ends a wait in the pool's queue when <see cref="_cts"/> fires; default unless waiting.</summary>
    private CancellationTokenRegistration _waitRegistration;

    /// <summary>The caller's token of the current request: tells <see cref="Http1Outcome.Canceled"/> from <see cref="Http1Outcome.Timeout"/>.</summary>
    private CancellationToken _callerToken;

    /// <summary>The wait for a connection; completed exactly once per wait, by whoever unlinks the exchange from the queue.</summary>
    private ManualResetValueTaskSourceCore<Http1PoolGrant> _wait;

    private Http1ResponseParser _parser;

    /// <summary>Offset in <see cref="Request"/> where the head starts; the body follows the head without a gap.</summary>
    private int _requestStart;

    /// <summary>Whether the last response left the connection fit for another request.</summary>
    private bool _reusable;

    /// <summary>The socket error behind the last failure, for the response's diagnostics.</summary>
    private SocketError _socketError;

    /// <summary>Bumped each time the exchange goes back to its pool; a response reads its body only while the version it saw is current.</summary>
    private int _version;

    public Http1Exchange(Http1ConnectionPool pool)
    {
        _pool = pool;
        _parser = new Http1ResponseParser(pool.MaxResponseHeadersLength, pool.MaxResponseBodyLength);
        _wait.RunContinuationsAsynchronously = true;
    }

    /// <summary>Request bytes: a reserved gap, then the body; the head is written into the end of the gap.</summary>
    public PooledBufferWriter Request { get; } = new();

    /// <summary>The current response's body, de-chunked and capped.</summary>
    public PooledBufferWriter ResponseBody { get; } = new();

    /// <summary>Next exchange in the pool's wait queue (towards the tail); guarded by the pool's lock.</summary>
    public Http1Exchange? QueueNext { get; set; }

    /// <summary>Previous exchange in the pool's wait queue (towards the head); guarded by the pool's lock.</summary>
    public Http1Exchange? QueuePrevious { get; set; }

    /// <summary>Whether the exchange is in the pool's wait queue; guarded by the pool's lock.</summary>
    public bool IsQueued { get; set; }

    public int Version => Volatile.Read(ref _version);

    /// <summary>Frames the request: the body from <paramref name="writeBody"/>, then the head with its Content-Length in front of it.</summary>
    public void WriteRequest<TState>(Http1RequestHead head, Http1BodyWriter<TState> writeBody, TState state)
    {
        int bodyStart = head.MaxLength;
        Request.Reset(bodyStart);
        writeBody(Request, state);
        WriteHead(head, bodyStart);
    }

    public void WriteRequest(Http1RequestHead head, ReadOnlySpan<byte> body)
    {
        int bodyStart = head.MaxLength;
        Request.Reset(bodyStart);
        Request.Write(body);
        WriteHead(head, bodyStart);
    }

    private void WriteHead(Http1RequestHead head, int bodyStart)
    {
        int bodyLength = Request.WrittenCount - bodyStart;
        if (bodyLength < 0)
        {
            ThrowHelper.ThrowInvalidOperationException("The body writer moved the buffer backwards.");
        }

        _requestStart = head.WriteBefore(Request.Array, bodyStart, bodyLength);
    }

    /// <summary>
    /// Sends the framed request and reads the response, within <paramref name="timeout"/> and until
    /// <paramref name="cancellationToken"/>; every failure the peer can cause comes back as an outcome.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<Http1Response> SendAsync(TimeSpan timeout, bool retryConnectRefused, CancellationToken cancellationToken)
    {
        _socketError = SocketError.Success;
        if (cancellationToken.IsCancellationRequested)
        {
            // Canceled before it started: leave the pool's connections alone.
            return CreateResponse(Http1Outcome.Canceled);
        }

        Arm(timeout, cancellationToken);
        CancellationToken token = _cts.Token;
        Http1Outcome outcome;
        Http1Connection? connection = null;
        bool holdsSlot = false;
        try
        {
            Http1PoolGrant grant = await _pool.RentAsync(this, token).ConfigureAwait(false);
            outcome = grant.Outcome;
            connection = grant.Connection;
            holdsSlot = outcome == Http1Outcome.Ok;
            bool mayRetryStale = true;
            while (holdsSlot)
            {
                if (connection is null)
                {
                    (connection, outcome) = await ConnectAsync(retryConnectRefused, token).ConfigureAwait(false);
                    if (connection is null)
                    {
                        break;
                    }
                }

                outcome = await ExchangeAsync(connection, token).ConfigureAwait(false);
                if (outcome == Http1Outcome.Ok && _reusable)
                {
                    connection.IsReused = true;
                    holdsSlot = false;
                    _pool.Return(connection);
                    connection = null;
                    break;
                }

                // A reused connection that fails before any response byte was most likely closed by the
                // server while idle: the request is sent once more, on a new connection.
                if (outcome == Http1Outcome.ConnectionClosedBeforeResponse && connection.IsReused && mayRetryStale)
                {
                    mayRetryStale = false;
                    connection.Dispose();
                    connection = null;
                    _pool.OnStaleRetry();
                    continue;
                }

                break;
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            outcome = Http1Outcome.Canceled;
        }
        finally
        {
            if (holdsSlot)
            {
                // Not reusable, failed, timed out or canceled: the connection is torn down, never pooled.
                connection?.Dispose();
                _pool.ReleaseSlot();
            }

            Disarm();
        }

        if (outcome == Http1Outcome.Canceled && !_callerToken.IsCancellationRequested)
        {
            outcome = Http1Outcome.Timeout;
        }

        _callerToken = default;
        return CreateResponse(outcome);
    }

    private Http1Response CreateResponse(Http1Outcome outcome)
    {
        int version = _version;
        if (outcome != Http1Outcome.Ok)
        {
            var failure = new Http1Response(null, 0, outcome, 0, 0, -1, false, _socketError);
            Release(version);
            return failure;
        }

        int bodyLength = ResponseBody.WrittenCount;
        var response = new Http1Response(bodyLength == 0 ? null : this, version, outcome, _parser.StatusCode, bodyLength, _parser.ContentLength, _parser.IsBodyTruncated, SocketError.Success);
        if (bodyLength == 0)
        {
            Release(version);
        }

        return response;
    }

    /// <summary>Opens a connection in the slot this exchange holds, retrying refusals until the deadline when asked to (OPENWHISK.md §5).</summary>
    private async ValueTask<(Http1Connection? Connection, Http1Outcome Outcome)> ConnectAsync(bool retryRefused, CancellationToken token)
    {
        bool refused = false;
        while (true)
        {
            if (_pool.IsDisposed)
            {
                return (null, Http1Outcome.PoolDisposed);
            }

            Socket? socket;
            Http1Outcome outcome;
            try
            {
                (socket, outcome, _socketError) = await Http1Connection.ConnectAsync(_pool.EndPoint, _pool.ConnectTimeout, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (refused && !_callerToken.IsCancellationRequested)
            {
                // The deadline passed during a retry: the container refused until then (see below).
                return (null, Http1Outcome.ConnectRefused);
            }

            if (socket is not null)
            {
                Http1Connection? connection = _pool.OnConnected(socket);
                return (connection, connection is null ? Http1Outcome.PoolDisposed : Http1Outcome.Ok);
            }

            if (outcome != Http1Outcome.ConnectRefused)
            {
                return (null, outcome);
            }

            _pool.OnConnectRefused();
            refused = true;
            if (!retryRefused)
            {
                return (null, outcome);
            }

            try
            {
                await Task.Delay(_pool.ConnectRetryInterval, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!_callerToken.IsCancellationRequested)
            {
                // The deadline passed while the container still refused: that, not the clock, is the news.
                return (null, Http1Outcome.ConnectRefused);
            }
        }
    }

    /// <summary>One send and one response on <paramref name="connection"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Http1Outcome> ExchangeAsync(Http1Connection connection, CancellationToken token)
    {
        bool sawResponse = false;
        _reusable = false;
        try
        {
            await connection.SendAsync(Request.WrittenMemory.Slice(_requestStart), token).ConfigureAwait(false);
            _parser.Reset();
            ResponseBody.Reset();
            PipeReader reader = connection.Reader;
            while (true)
            {
                ReadResult result = await reader.ReadAsync(token).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                sawResponse |= !buffer.IsEmpty;
                Http1ParseStatus status = _parser.Parse(buffer, result.IsCompleted, ResponseBody, out SequencePosition consumed, out SequencePosition examined);

                // Bytes past the response were not asked for (RFC 9112 §9.3.2: no pipelining here): the
                // connection is out of step with the server and must not carry another request.
                bool leftover = status == Http1ParseStatus.Complete && !buffer.Slice(consumed).IsEmpty;
                reader.AdvanceTo(consumed, examined);
                switch (status)
                {
                    case Http1ParseStatus.Complete:
                        _reusable = _parser.KeepAlive && !leftover && !result.IsCompleted;
                        return Http1Outcome.Ok;
                    case Http1ParseStatus.Malformed:
                        return Http1Outcome.MalformedResponse;
                    case Http1ParseStatus.HeadersTooLarge:
                        return Http1Outcome.HeadersTooLarge;
                }

                if (result.IsCompleted)
                {
                    return sawResponse ? Http1Outcome.ConnectionClosedDuringResponse : Http1Outcome.ConnectionClosedBeforeResponse;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            _socketError = (e as SocketException ?? e.InnerException as SocketException)?.SocketErrorCode ?? SocketError.SocketError;
            if (token.IsCancellationRequested)
            {
                return Http1Outcome.Canceled;
            }

            if (_pool.IsDisposed)
            {
                return Http1Outcome.PoolDisposed;
            }

            return sawResponse ? Http1Outcome.ConnectionClosedDuringResponse : Http1Outcome.ConnectionClosedBeforeResponse;
        }
    }

    private void Arm(TimeSpan timeout, CancellationToken cancellationToken)
    {
        _callerToken = cancellationToken;
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            _cts.CancelAfter(timeout);
        }

        if (cancellationToken.CanBeCanceled)
        {
            _callerRegistration = cancellationToken.UnsafeRegister(s_cancelFromCaller, this);
        }
    }

    private void Disarm()
    {
        // Dispose waits for a callback in flight, so a late caller cancellation cannot reach the next request.
        _callerRegistration.Dispose();
        _callerRegistration = default;
        if (!_cts.TryReset())
        {
            _cts.Dispose();
            _cts = new CancellationTokenSource();
        }
    }

    private void CancelFromCaller() => _cts.Cancel();

    /// <summary>Returns the exchange to its pool if <paramref name="version"/> is current; later calls with the same version do nothing.</summary>
    public void Release(int version)
    {
        if (Interlocked.CompareExchange(ref _version, version + 1, version) != version)
        {
            return;
        }

        Request.Trim(_pool.RetainedBufferSize);
        ResponseBody.Trim(_pool.RetainedBufferSize);
        _pool.ReturnExchange(this);
    }

    // ---- waiting for a connection (the pool's FIFO queue) -----------------------------------------

    /// <summary>Parks the caller until the pool grants a connection or a slot, or the deadline or caller cancels. The exchange is already queued.</summary>
    public ValueTask<Http1PoolGrant> WaitAsync(CancellationToken token)
    {
        Debug.Assert(_waitRegistration == default, "one wait at a time");
        short version = _wait.Version;
        _waitRegistration = token.UnsafeRegister(s_cancelWait, this);
        return new ValueTask<Http1PoolGrant>(this, version);
    }

    /// <summary>Completes the wait; called once, by whoever unlinked the exchange from the queue, outside the pool's lock.</summary>
    public void CompleteWait(Http1PoolGrant grant) => _wait.SetResult(grant);

    Http1PoolGrant IValueTaskSource<Http1PoolGrant>.GetResult(short token)
    {
        try
        {
            return _wait.GetResult(token);
        }
        finally
        {
            _wait.Reset();
            _waitRegistration.Dispose();
            _waitRegistration = default;
        }
    }

    ValueTaskSourceStatus IValueTaskSource<Http1PoolGrant>.GetStatus(short token) => _wait.GetStatus(token);

    void IValueTaskSource<Http1PoolGrant>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _wait.OnCompleted(continuation, state, token, flags);
}
