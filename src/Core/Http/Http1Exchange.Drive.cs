using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;

namespace Perf.Invoker.Http;

internal sealed partial class Http1Exchange
{
    /// <summary>What one pass over received bytes decided.</summary>
    private enum ReceiveStep : byte
    {
        /// <summary>The response is not complete: receive more.</summary>
        Receive,

        /// <summary>The exchange is over; the outcome says how.</summary>
        Done,
    }

    /// <summary>
    /// The driver: waits for a request, carries it through (queue, connect, send, receive, retry) and hands
    /// the response to the caller, for as long as the exchange lives. Everything a request awaits is
    /// awaited here, in one state machine allocated once, rather than in async methods allocated per call.
    /// Only the cold paths (connecting, retrying refusals) are separate async methods.
    /// </summary>
    private async Task DriveAsync()
    {
        while (await _start.WaitAsync().ConfigureAwait(false))
        {
            Http1Outcome outcome = Http1Outcome.Ok;
            Http1Connection? connection = null;
            bool holdsSlot = false;
            Http1Response response;
            _socketError = SocketError.Success;
            try
            {
                if (_callerToken.IsCancellationRequested)
                {
                    // Canceled before it started: leave the pool's connections alone.
                    outcome = Http1Outcome.Canceled;
                }
                else
                {
                    Arm();
                    CancellationToken token = _cts.Token;
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
                                (connection, outcome) = await ConnectAsync(token).ConfigureAwait(false);
                                if (connection is null)
                                {
                                    break;
                                }
                            }

                            if (!TryActivate(connection, token))
                            {
                                outcome = Http1Outcome.Canceled;
                                break;
                            }

                            // ---- one send and one response on the connection ----
                            // The receive is posted before the send. On an idle connection it finds nothing
                            // (the kernel says "would block" and the socket engine waits for the response), so
                            // it doubles as the liveness check: a reused connection that has something to read
                            // was closed or reset by the server, or sent bytes nobody asked for (RFC 9112 §9.3),
                            // and must not carry the request. One syscall both checks and arms the receive.
                            ValueTask<int> receive = connection.ReceiveAsync();
                            if (receive.IsCompleted && connection.IsReused)
                            {
                                await DrainAsync(receive).ConfigureAwait(false);
                                Interlocked.Exchange(ref _activeConnection, null);
                                _pool.OnDeadIdleConnection();
                                connection.Dispose();
                                connection = null;
                                continue;
                            }

                            bool sawResponse = false;
                            bool reusable = false;
                            bool sent = false;
                            try
                            {
                                // No token on the I/O itself: the deadline and the caller abort the socket
                                // instead (OnCanceled), one registration per request rather than per call.
                                ReadOnlyMemory<byte> request = Request.WrittenMemory.Slice(_requestStart);
                                try
                                {
                                    while (!request.IsEmpty)
                                    {
                                        request = request.Slice(await connection.SendAsync(request).ConfigureAwait(false));
                                    }
                                }
                                catch
                                {
                                    // The receive writes into the pipe's memory: it must be over before the
                                    // connection (and its memory) goes.
                                    connection.Abort();
                                    await DrainAsync(receive).ConfigureAwait(false);
                                    throw;
                                }

                                sent = true;

                                _parser.Reset();
                                ResponseBody.Reset();
                                connection.CommitReceive(await receive.ConfigureAwait(false));
                                while (OnReceived(connection, ref sawResponse, ref reusable, out outcome) == ReceiveStep.Receive)
                                {
                                    connection.CommitReceive(await connection.ReceiveAsync().ConfigureAwait(false));
                                }
                            }
                            catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
                            {
                                outcome = OnTransportFailure(e, sawResponse, token);
                            }

                            if (Interlocked.Exchange(ref _activeConnection, null) is null)
                            {
                                // The deadline or the caller aborted the socket: a response that made it is
                                // still good, the connection is not.
                                reusable = false;
                                outcome = outcome == Http1Outcome.Ok ? Http1Outcome.Ok : Http1Outcome.Canceled;
                            }

                            if (outcome == Http1Outcome.Ok && reusable)
                            {
                                connection.IsReused = true;
                                holdsSlot = false;
                                _pool.Return(connection);
                                connection = null;
                                break;
                            }

                            // A reused connection whose send failed was closed by the server while idle: the
                            // request goes out once more, on a new connection. Once the whole request was sent,
                            // a close may mean the action ran and crashed (process.exit): running it again
                            // would run a non-idempotent action twice, so that is never retried.
                            if (outcome == Http1Outcome.ConnectionClosedBeforeResponse && connection.IsReused && !sent && mayRetryStale)
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
                }

                if (outcome == Http1Outcome.Canceled && !_callerToken.IsCancellationRequested)
                {
                    outcome = Http1Outcome.Timeout;
                }

                response = CreateResponse(outcome);
            }
            catch (Exception e)
            {
                // A bug, not a server's doing: the caller sees it, and the exchange is not reused.
                _callerToken = default;
                _response.SetException(e);
                return;
            }

            _callerToken = default;
            _response.SetResult(response);
            LetGo();
        }
    }

    /// <summary>Waits for a receive whose result no longer matters (the connection is being dropped); its failure is the expected end.</summary>
    private static async ValueTask DrainAsync(ValueTask<int> receive)
    {
        try
        {
            await receive.ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            // Aborted with its connection, or the reset that made the connection unusable.
        }
    }

    /// <summary>Parses what the connection received; decides whether to receive more or how the exchange ended.</summary>
    private ReceiveStep OnReceived(Http1Connection connection, ref bool sawResponse, ref bool reusable, out Http1Outcome outcome)
    {
        PipeReader reader = connection.Reader;
        reader.TryRead(out ReadResult result);
        ReadOnlySequence<byte> buffer = result.Buffer;
        sawResponse |= !buffer.IsEmpty;
        Http1ParseStatus status = _parser.Parse(buffer, result.IsCompleted, ResponseBody, out SequencePosition consumed, out SequencePosition examined);

        // Bytes past the response were not asked for (no pipelining here): the connection is out of step
        // with the server and must not carry another request.
        bool leftover = status == Http1ParseStatus.Complete && !buffer.Slice(consumed).IsEmpty;
        reader.AdvanceTo(consumed, examined);
        switch (status)
        {
            case Http1ParseStatus.Complete:
                reusable = _parser.KeepAlive && !leftover && !result.IsCompleted;
                outcome = Http1Outcome.Ok;
                return ReceiveStep.Done;
            case Http1ParseStatus.Malformed:
                outcome = Http1Outcome.MalformedResponse;
                return ReceiveStep.Done;
            case Http1ParseStatus.HeadersTooLarge:
                outcome = Http1Outcome.HeadersTooLarge;
                return ReceiveStep.Done;
        }

        if (result.IsCompleted)
        {
            outcome = sawResponse ? Http1Outcome.ConnectionClosedDuringResponse : Http1Outcome.ConnectionClosedBeforeResponse;
            return ReceiveStep.Done;
        }

        outcome = Http1Outcome.Ok;
        return ReceiveStep.Receive;
    }

    private Http1Outcome OnTransportFailure(Exception e, bool sawResponse, CancellationToken token)
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

    private Http1Response CreateResponse(Http1Outcome outcome)
    {
        int version = _version;
        if (outcome != Http1Outcome.Ok)
        {
            return new Http1Response(null, version, outcome, 0, 0, -1, false, _socketError);
        }

        int bodyLength = ResponseBody.WrittenCount;
        return new Http1Response(bodyLength == 0 ? null : this, version, outcome, _parser.StatusCode, bodyLength,
            _parser.ContentLength, _parser.IsBodyTruncated, SocketError.Success);
    }

    /// <summary>Opens a connection in the slot this exchange holds, retrying refusals until the deadline when asked to (docs/openwhisk.md §5).</summary>
    private async ValueTask<(Http1Connection? Connection, Http1Outcome Outcome)> ConnectAsync(CancellationToken token)
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
            if (!_retryConnectRefused)
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
}
