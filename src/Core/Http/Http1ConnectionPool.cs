using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Perf.Invoker.Http;

/// <summary>
/// HTTP/1.1 keep-alive connections to one action container, at most <see cref="MaxConnections"/> of
/// them (the container's concurrency). Idle connections are reused last-in first-out, each checked for
/// a close by the server as its exchange arms the receive; when all are busy, requests wait in FIFO order, each parked on its
/// own pooled exchange. A request on a warm pool allocates nothing. See <see cref="PostAsync{TState}"/>.
/// </summary>
public sealed class Http1ConnectionPool : IDisposable
{
    private readonly Lock _lock = new();
    private readonly string _host;

    /// <summary>Idle connections, the most recently returned on top; [0, _idleCount) are set; guarded by _lock.</summary>
    private readonly Http1Connection?[] _idle;

    /// <summary>Every open connection, busy or idle, at its PoolIndex; [0, _connectionCount) are set; guarded by _lock. Lets Dispose abort busy ones.</summary>
    private readonly Http1Connection?[] _connections;

    /// <summary>Exchanges free for the next request; [0, _freeExchangeCount) are set; guarded by _lock.</summary>
    private readonly Http1Exchange?[] _freeExchanges;

    private int _idleCount;
    private int _connectionCount;
    private int _freeExchangeCount;

    /// <summary>Slots taken: open connections plus attempts to open one; _idleCount ≤ _openCount ≤ MaxConnections; guarded by _lock.</summary>
    private int _openCount;

    /// <summary>Head (oldest) of the FIFO of exchanges waiting for a connection; non-null only while _idleCount == 0 and _openCount == MaxConnections; guarded by _lock.</summary>
    private Http1Exchange? _waitHead;

    /// <summary>Tail (newest) of the wait queue; null exactly when _waitHead is; guarded by _lock.</summary>
    private Http1Exchange? _waitTail;

    /// <summary>Exchanges in the wait queue; guarded by _lock.</summary>
    private int _waiterCount;

    /// <summary>Set once by Dispose, under _lock; after it no connection is pooled or opened and no request waits.</summary>
    private volatile bool _disposed;

    private long _connectionsOpened;
    private long _connectionsClosed;
    private long _connectRefusals;
    private long _staleRetries;
    private long _deadIdleConnections;

    public Http1ConnectionPool(Http1ConnectionPoolOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        EndPoint = options.EndPoint;
        MaxConnections = options.MaxConnections;
        ConnectTimeout = options.ConnectTimeout;
        ConnectRetryInterval = options.ConnectRetryInterval;
        MaxResponseHeadersLength = options.MaxResponseHeadersLength;
        MaxResponseBodyLength = options.MaxResponseBodyLength;
        RetainedBufferSize = options.RetainedBufferSize;
        _host = options.GetHost();
        _idle = new Http1Connection?[MaxConnections];
        _connections = new Http1Connection?[MaxConnections];

        // An exchange is in use from the request until both the caller and the driver let go, which
        // briefly overlaps the caller's next request; requests beyond MaxConnections wait on one too.
        _freeExchanges = new Http1Exchange?[(MaxConnections * 2) + 4];
    }

    public EndPoint EndPoint { get; }

    public int MaxConnections { get; }

    internal TimeSpan ConnectTimeout { get; }

    internal TimeSpan ConnectRetryInterval { get; }

    internal int MaxResponseHeadersLength { get; }

    internal int MaxResponseBodyLength { get; }

    internal int RetainedBufferSize { get; }

    internal bool IsDisposed => _disposed;

    /// <summary>A consistent snapshot of the pool's accounting.</summary>
    public Http1PoolCounters Counters
    {
        get
        {
            lock (_lock)
            {
                return new Http1PoolCounters(_openCount, _idleCount, _openCount - _idleCount, _waiterCount,
                    _connectionsOpened, _connectionsClosed, _connectRefusals, _staleRetries, _deadIdleConnections);
            }
        }
    }

    /// <summary>The pre-encoded head of JSON POSTs to <paramref name="path"/> (e.g. "/init", "/run"); create it once and reuse it.</summary>
    public Http1RequestHead CreatePostHead(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!Http1RequestHead.IsValidPath(path))
        {
            Http1UsageErrors.ThrowArgumentException("The path must start with '/' and hold visible ASCII only.", nameof(path));
        }

        return new Http1RequestHead(this, path, _host);
    }

    /// <summary>
    /// POSTs a JSON body that <paramref name="writeBody"/> writes straight into the request buffer, and
    /// returns the response (dispose it). <paramref name="timeout"/> bounds the whole request: waiting for a
    /// connection, connecting, sending and receiving; past it, or when <paramref name="cancellationToken"/>
    /// fires, the connection is closed and the outcome says why. With <paramref name="retryConnectRefused"/>
    /// a refused connection is retried every ConnectRetryInterval until the deadline (a container still
    /// starting, before /init). A request goes out a second time only when a reused connection failed
    /// before any response byte.
    /// </summary>
    public ValueTask<Http1Response> PostAsync<TState>(
        Http1RequestHead head,
        Http1BodyWriter<TState> writeBody,
        TState state,
        TimeSpan timeout,
        bool retryConnectRefused = false,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writeBody);
        Http1Exchange exchange = StartExchange(head, timeout);
        try
        {
            exchange.WriteRequest(head, writeBody, state);
        }
        catch
        {
            exchange.Release(exchange.Version);
            throw;
        }

        return exchange.SendAsync(timeout, retryConnectRefused, cancellationToken);
    }

    /// <summary>POSTs a body that is already encoded; see <see cref="PostAsync{TState}"/>.</summary>
    public ValueTask<Http1Response> PostAsync(
        Http1RequestHead head,
        ReadOnlySpan<byte> body,
        TimeSpan timeout,
        bool retryConnectRefused = false,
        CancellationToken cancellationToken = default)
    {
        Http1Exchange exchange = StartExchange(head, timeout);
        try
        {
            exchange.WriteRequest(head, body);
        }
        catch
        {
            exchange.Release(exchange.Version);
            throw;
        }

        return exchange.SendAsync(timeout, retryConnectRefused, cancellationToken);
    }

    private Http1Exchange StartExchange(Http1RequestHead head, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(head);
        if (head.Pool != this)
        {
            Http1UsageErrors.ThrowArgumentException("The head was created by another pool.", nameof(head));
        }

        if ((timeout <= TimeSpan.Zero || timeout.TotalMilliseconds > uint.MaxValue - 1) && timeout != Timeout.InfiniteTimeSpan)
        {
            Http1UsageErrors.ThrowArgumentOutOfRangeException(nameof(timeout), "The timeout must be positive (at most ~49 days) or infinite.");
        }

        lock (_lock)
        {
            if (_freeExchangeCount > 0)
            {
                Http1Exchange exchange = _freeExchanges[--_freeExchangeCount]!;
                _freeExchanges[_freeExchangeCount] = null;
                return exchange;
            }
        }

        return new Http1Exchange(this);
    }

    internal void ReturnExchange(Http1Exchange exchange)
    {
        lock (_lock)
        {
            if (_freeExchangeCount < _freeExchanges.Length && !_disposed)
            {
                _freeExchanges[_freeExchangeCount++] = exchange;
                return;
            }
        }

        exchange.Retire();
    }

    // ---- connections and slots --------------------------------------------------------------------

    /// <summary>
    /// A live idle connection, a slot to open one in, or a place in the FIFO queue until one of those
    /// frees up. The returned grant holds a slot unless its outcome is a failure.
    /// </summary>
    internal ValueTask<Http1PoolGrant> RentAsync(Http1Exchange exchange, CancellationToken token)
    {
        Http1Connection? idle = null;
        lock (_lock)
        {
            if (_disposed)
            {
                return new ValueTask<Http1PoolGrant>(new Http1PoolGrant(null, Http1Outcome.PoolDisposed));
            }

            if (_idleCount > 0)
            {
                // LIFO: the connection used last is the one least likely to have been closed while idle.
                idle = _idle[--_idleCount];
                _idle[_idleCount] = null;
            }
            else if (_openCount < MaxConnections)
            {
                _openCount++;
                return new ValueTask<Http1PoolGrant>(Http1PoolGrant.Slot);
            }
            else
            {
                Enqueue(exchange);
            }
        }

        if (idle is null)
        {
            ValueTask<Http1PoolGrant> wait = exchange.WaitForGrantAsync();

            // The deadline or the caller may have fired before the exchange was queued, when leaving the queue was a no-op.
            if (token.IsCancellationRequested)
            {
                CancelWait(exchange);
            }

            return wait;
        }

        // Whether the server closed it while idle is found by the exchange, in the same syscall that arms its receive.
        return new ValueTask<Http1PoolGrant>(new Http1PoolGrant(idle, Http1Outcome.Ok));
    }

    /// <summary>Takes back a connection that finished an exchange cleanly: it goes to the oldest waiter, or on top of the idle stack.</summary>
    internal void Return(Http1Connection connection)
    {
        Http1Exchange? waiter;
        lock (_lock)
        {
            if (!_disposed)
            {
                waiter = Dequeue();
                if (waiter is null)
                {
                    _idle[_idleCount++] = connection;
                    Debug.Assert(_idleCount <= _openCount, "idle connections hold slots");
                    return;
                }
            }
            else
            {
                waiter = null;
            }
        }

        if (waiter is not null)
        {
            waiter.CompleteWait(new Http1PoolGrant(connection, Http1Outcome.Ok));
            return;
        }

        connection.Dispose();
        ReleaseSlot();
    }

    /// <summary>Gives up a slot whose connection is gone (or never came): to the oldest waiter, who opens a new one, or back to the pool.</summary>
    internal void ReleaseSlot()
    {
        Http1Exchange? waiter = null;
        lock (_lock)
        {
            if (!_disposed)
            {
                waiter = Dequeue();
            }

            if (waiter is null)
            {
                _openCount--;
                Debug.Assert(_openCount >= _idleCount, "idle connections hold slots");
            }
        }

        waiter?.CompleteWait(Http1PoolGrant.Slot);
    }

    /// <summary>Registers a freshly connected socket in the slot its exchange holds; null (socket closed) once the pool is disposed.</summary>
    internal Http1Connection? OnConnected(Socket socket)
    {
        var connection = Http1Connection.Create(this, socket);
        lock (_lock)
        {
            if (!_disposed)
            {
                connection.PoolIndex = _connectionCount;
                _connections[_connectionCount++] = connection;
                _connectionsOpened++;
                return connection;
            }
        }

        socket.Dispose();
        return null;
    }

    internal void OnConnectionClosed(Http1Connection connection)
    {
        lock (_lock)
        {
            int index = connection.PoolIndex;
            if (index < 0)
            {
                return;
            }

            Debug.Assert(_connections[index] == connection, "a connection knows its slot in the table");
            Http1Connection last = _connections[--_connectionCount]!;
            _connections[index] = last;
            last.PoolIndex = index;
            _connections[_connectionCount] = null;
            connection.PoolIndex = -1;
            _connectionsClosed++;
        }
    }

    /// <summary>How many idle connections the liveness check would drop right now (tests wait on it instead of on the clock).</summary>
    internal int CountDeadIdleConnections()
    {
        lock (_lock)
        {
            int dead = 0;
            for (int i = 0; i < _idleCount; i++)
            {
                dead += _idle[i]!.IsAlive() ? 0 : 1;
            }

            return dead;
        }
    }

    internal void OnConnectRefused() => Interlocked.Increment(ref _connectRefusals);

    internal void OnStaleRetry() => Interlocked.Increment(ref _staleRetries);

    internal void OnDeadIdleConnection() => Interlocked.Increment(ref _deadIdleConnections);

    // ---- the wait queue ---------------------------------------------------------------------------

    private void Enqueue(Http1Exchange exchange)
    {
        Debug.Assert(_lock.IsHeldByCurrentThread && !exchange.IsQueued, "queued once, under the lock");
        exchange.IsQueued = true;
        exchange.QueuePrevious = _waitTail;
        exchange.QueueNext = null;
        if (_waitTail is null)
        {
            _waitHead = exchange;
        }
        else
        {
            _waitTail.QueueNext = exchange;
        }

        _waitTail = exchange;
        _waiterCount++;
    }

    private Http1Exchange? Dequeue()
    {
        Http1Exchange? head = _waitHead;
        if (head is not null)
        {
            Unlink(head);
        }

        return head;
    }

    private void Unlink(Http1Exchange exchange)
    {
        Debug.Assert(_lock.IsHeldByCurrentThread && exchange.IsQueued, "unlinked once, under the lock");
        if (exchange.QueuePrevious is null)
        {
            _waitHead = exchange.QueueNext;
        }
        else
        {
            exchange.QueuePrevious.QueueNext = exchange.QueueNext;
        }

        if (exchange.QueueNext is null)
        {
            _waitTail = exchange.QueuePrevious;
        }
        else
        {
            exchange.QueueNext.QueuePrevious = exchange.QueuePrevious;
        }

        exchange.QueueNext = null;
        exchange.QueuePrevious = null;
        exchange.IsQueued = false;
        _waiterCount--;
    }

    /// <summary>The deadline or the caller ended a wait: the exchange leaves the queue, unless the pool granted it first.</summary>
    internal void CancelWait(Http1Exchange exchange)
    {
        lock (_lock)
        {
            if (!exchange.IsQueued)
            {
                return;
            }

            Unlink(exchange);
        }

        exchange.CompleteWait(new Http1PoolGrant(null, Http1Outcome.Canceled));
    }

    // ---- disposal ---------------------------------------------------------------------------------

    /// <summary>Closes idle connections, aborts busy ones (their requests end with <see cref="Http1Outcome.PoolDisposed"/>) and fails waiters.</summary>
    public void Dispose()
    {
        Http1Exchange? waiters;
        Http1Connection?[] idle;
        Http1Connection?[] busy;
        Http1Exchange?[] free;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            waiters = _waitHead;
            _waitHead = _waitTail = null;
            _waiterCount = 0;
            idle = _idle.AsSpan(0, _idleCount).ToArray();
            _idle.AsSpan(0, _idleCount).Clear();
            _openCount -= _idleCount;
            _idleCount = 0;
            busy = Array.FindAll(_connections.AsSpan(0, _connectionCount).ToArray(), c => Array.IndexOf(idle, c) < 0);
            free = _freeExchanges.AsSpan(0, _freeExchangeCount).ToArray();
            _freeExchanges.AsSpan().Clear();
            _freeExchangeCount = 0;
        }

        foreach (Http1Exchange? exchange in free)
        {
            exchange!.Retire();
        }

        while (waiters is not null)
        {
            Http1Exchange next = waiters.QueueNext!;
            waiters.QueueNext = waiters.QueuePrevious = null;
            waiters.IsQueued = false;
            waiters.CompleteWait(new Http1PoolGrant(null, Http1Outcome.PoolDisposed));
            waiters = next;
        }

        foreach (Http1Connection? connection in idle)
        {
            connection!.Dispose();
        }

        foreach (Http1Connection? connection in busy)
        {
            connection!.Abort();
        }
    }
}
