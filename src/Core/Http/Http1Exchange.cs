using System.Diagnostics;
using System.Net.Sockets;
using System.Threading.Tasks.Sources;
using Perf.Invoker.Buffers;

namespace Perf.Invoker.Http;

/// <summary>
/// One request in flight, and the pooled state it needs: the request bytes (head written in front of the
/// body), the response parser and body buffer, the deadline, and its place in the pool's FIFO queue
/// when every connection is busy. A driver loop started once per exchange (<see cref="DriveAsync"/>)
/// carries each request through, so a request allocates no async state machine; exchanges cycle
/// through their pool, and one whose response has a body comes back when the response is disposed.
/// </summary>
internal sealed partial class Http1Exchange : IValueTaskSource<Http1Response>, IThreadPoolWorkItem
{
    private static readonly Action<object?> s_cancelFromCaller = static state => ((Http1Exchange)state!).CancelFromCaller();
    private static readonly Action<object?> s_onCanceled = static state => ((Http1Exchange)state!).OnCanceled();

    private readonly Http1ConnectionPool _pool;

    /// <summary>Wakes the driver for the next request (true), or ends it (false).</summary>
    private readonly ValueTaskSignal<bool> _start = new();

    /// <summary>Brings the pool's grant to the driver while it waits in the queue.</summary>
    private readonly ValueTaskSignal<Http1PoolGrant> _grant = new();

    /// <summary>The response of the current request, for the caller; reset when the caller takes it.</summary>
    private ManualResetValueTaskSourceCore<Http1Response> _response;

    /// <summary>A grant on its way to the driver through the thread pool (<see cref="IThreadPoolWorkItem.Execute"/>).</summary>
    private Http1PoolGrant _pendingGrant;

    /// <summary>Deadline of the current request, and the caller's cancellation forwarded into it; reset (or replaced once canceled) between requests.</summary>
    private CancellationTokenSource _cts = new();

    /// <summary>Forwards the caller's token into <see cref="_cts"/>; default between requests.</summary>
    private CancellationTokenRegistration _callerRegistration;

    /// <summary>Runs <see cref="OnCanceled"/> when <see cref="_cts"/> fires; default between requests.</summary>
    private CancellationTokenRegistration _cancelRegistration;

    /// <summary>
    /// The connection a send or receive is under way on, which the deadline or the caller aborts; null
    /// otherwise. Whoever swaps it to null owns the connection: the driver when the I/O ends, or the abort.
    /// </summary>
    private Http1Connection? _activeConnection;

    /// <summary>The caller's token of the current request: tells <see cref="Http1Outcome.Canceled"/> from <see cref="Http1Outcome.Timeout"/>.</summary>
    private CancellationToken _callerToken;

    /// <summary>Deadline of the current request, from the caller.</summary>
    private TimeSpan _timeout;

    /// <summary>Whether the current request retries refused connections until its deadline.</summary>
    private bool _retryConnectRefused;

    private Http1ResponseParser _parser;

    /// <summary>Offset in <see cref="Request"/> where the head starts; the body follows the head without a gap.</summary>
    private int _requestStart;

    /// <summary>The socket error behind the last failure, for the response's diagnostics.</summary>
    private SocketError _socketError;

    /// <summary>Bumped when the caller lets go of a response; a response reads its body only while the version it saw is current.</summary>
    private int _version;

    /// <summary>
    /// Parties still holding the exchange this round: the caller (until it takes a bodiless response or
    /// disposes one with a body) and the driver (until it has handed the response over). 1 between rounds,
    /// 2 from <see cref="SendAsync"/>; at 0 the exchange goes back to its pool. Waiting for the driver keeps
    /// a caller whose continuation runs inside the hand-over from reusing an exchange whose driver is still
    /// below it on the stack, where its next request would sit until the caller yields.
    /// </summary>
    private int _holders = 1;

    public Http1Exchange(Http1ConnectionPool pool)
    {
        _pool = pool;
        _parser = new Http1ResponseParser(pool.MaxResponseHeadersLength, pool.MaxResponseBodyLength);

        // Fire and forget: the loop waits for requests for as long as the exchange lives and never throws.
        _ = DriveAsync();
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
            Http1UsageErrors.ThrowInvalidOperationException("The body writer moved the buffer backwards.");
        }

        _requestStart = head.WriteBefore(Request.Array, bodyStart, bodyLength);
    }

    /// <summary>
    /// Hands the framed request to the driver, which sends it and reads the response within
    /// <paramref name="timeout"/> and until <paramref name="cancellationToken"/>. The driver runs on this
    /// thread until its first wait for the network.
    /// </summary>
    public ValueTask<Http1Response> SendAsync(TimeSpan timeout, bool retryConnectRefused, CancellationToken cancellationToken)
    {
        _timeout = timeout;
        _retryConnectRefused = retryConnectRefused;
        _callerToken = cancellationToken;
        Volatile.Write(ref _holders, 2);
        var response = new ValueTask<Http1Response>(this, _response.Version);
        _start.Set(true);
        return response;
    }

    /// <summary>The caller lets go of the response made under <paramref name="version"/>; later calls with the same version do nothing.</summary>
    public void Release(int version)
    {
        if (Interlocked.CompareExchange(ref _version, version + 1, version) == version)
        {
            LetGo();
        }
    }

    /// <summary>One holder lets go; the last one returns the exchange to its pool.</summary>
    private void LetGo()
    {
        int holders = Interlocked.Decrement(ref _holders);
        Debug.Assert(holders >= 0, "let go once per holder");
        if (holders == 0)
        {
            _holders = 1;
            Request.Trim(_pool.RetainedBufferSize);
            ResponseBody.Trim(_pool.RetainedBufferSize);
            _pool.ReturnExchange(this);
        }
    }

    /// <summary>Ends the driver of an exchange the pool no longer keeps.</summary>
    public void Retire() => _start.Set(false);

    // ---- the response, as the caller awaits it ----------------------------------------------------

    Http1Response IValueTaskSource<Http1Response>.GetResult(short token)
    {
        Http1Response response;
        try
        {
            response = _response.GetResult(token);
        }
        finally
        {
            _response.Reset();
        }

        // A response without a body holds nothing of the exchange: the caller lets go now, and not earlier,
        // since until this call it had yet to take its result.
        if (!response.HoldsExchange)
        {
            Release(response.ExchangeVersion);
        }

        return response;
    }

    ValueTaskSourceStatus IValueTaskSource<Http1Response>.GetStatus(short token) => _response.GetStatus(token);

    void IValueTaskSource<Http1Response>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _response.OnCompleted(continuation, state, token, flags);

    // ---- waiting for a connection (the pool's FIFO queue) -----------------------------------------

    /// <summary>Parks the driver until the pool grants a connection or a slot, or <see cref="OnCanceled"/> takes it out of the queue. The exchange is already queued.</summary>
    public ValueTask<Http1PoolGrant> WaitForGrantAsync() => _grant.WaitAsync();

    /// <summary>
    /// Completes the wait; called once, by whoever unlinked the exchange from the queue, outside the pool's
    /// lock. The driver resumes on a pool thread, not on the thread that returned a connection or fired a timer.
    /// </summary>
    public void CompleteWait(Http1PoolGrant grant)
    {
        _pendingGrant = grant;
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    void IThreadPoolWorkItem.Execute() => _grant.Set(_pendingGrant);

    // ---- deadline and cancellation ----------------------------------------------------------------

    private void Arm()
    {
        if (_timeout != Timeout.InfiniteTimeSpan)
        {
            _cts.CancelAfter(_timeout);
        }

        _cancelRegistration = _cts.Token.UnsafeRegister(s_onCanceled, this);
        if (_callerToken.CanBeCanceled)
        {
            _callerRegistration = _callerToken.UnsafeRegister(s_cancelFromCaller, this);
        }
    }

    private void Disarm()
    {
        // Dispose waits for a callback in flight, so a late cancellation cannot reach the next request.
        _callerRegistration.Dispose();
        _callerRegistration = default;
        _cancelRegistration.Dispose();
        _cancelRegistration = default;
        _activeConnection = null;
        if (!_cts.TryReset())
        {
            _cts.Dispose();
            _cts = new CancellationTokenSource();
        }
    }

    private void CancelFromCaller() => _cts.Cancel();

    /// <summary>The deadline passed or the caller canceled: abort the I/O under way, or leave the pool's queue.</summary>
    private void OnCanceled()
    {
        Interlocked.Exchange(ref _activeConnection, null)?.Abort();
        _pool.CancelWait(this);
    }

    /// <summary>Publishes the connection for <see cref="OnCanceled"/>; false when the request was canceled first.</summary>
    private bool TryActivate(Http1Connection connection, CancellationToken token)
    {
        // A full fence between publishing and reading the token: OnCanceled sets the token, then swaps.
        Interlocked.Exchange(ref _activeConnection, connection);
        if (!token.IsCancellationRequested)
        {
            return true;
        }

        Interlocked.Exchange(ref _activeConnection, null);
        return false;
    }
}
