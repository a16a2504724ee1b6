using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace Perf.Invoker.Http;

/// <summary>
/// One keep-alive connection to a container: a socket, and the pipe its responses are received into
/// and parsed from. Used by one exchange at a time, which drives both; between exchanges it sits idle
/// in its pool with nothing buffered.
/// </summary>
internal sealed class Http1Connection : IDisposable
{
    /// <summary>Least room worth a receive call; a smaller tail of a block is skipped for a fresh block.</summary>
    private const int MinimumReceiveSize = 1024;

    /// <summary>
    /// The exchange is the pipe's only writer and only reader, one after the other on one flow: no
    /// back-pressure, no scheduling, and blocks from the connections' shared block pool.
    /// </summary>
    private static readonly PipeOptions s_pipeOptions = new(
        pool: Http1BlockMemoryPool.Default,
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: 0,
        resumeWriterThreshold: 0,
        minimumSegmentSize: Http1BlockMemoryPool.BlockSize,
        useSynchronizationContext: false);

    private readonly Http1ConnectionPool _pool;
    private readonly Socket _socket;
    private readonly Pipe _pipe = new(s_pipeOptions);

    /// <summary>0 while open, 1 once <see cref="Dispose"/> ran; the socket is closed and the pool told exactly once.</summary>
    private int _disposed;

    private Http1Connection(Http1ConnectionPool pool, Socket socket)
    {
        _pool = pool;
        _socket = socket;
    }

    /// <summary>Response bytes received so far and not consumed; only the exchange holding the connection reads them.</summary>
    public PipeReader Reader => _pipe.Reader;

    /// <summary>Slot in the pool's table of open connections; maintained by the pool under its lock, -1 once removed.</summary>
    public int PoolIndex { get; set; } = -1;

    /// <summary>Whether the connection already carried a complete exchange: a failure before any response byte then means the server dropped it while idle.</summary>
    public bool IsReused { get; set; }

    /// <summary>
    /// Opens a socket to <paramref name="endPoint"/>. Refusal, failure and the connect timeout are outcomes;
    /// cancellation of <paramref name="requestToken"/> (the request deadline or the caller) throws.
    /// </summary>
    public static async ValueTask<(Socket? Socket, Http1Outcome Outcome, SocketError Error)> ConnectAsync(
        EndPoint endPoint, TimeSpan connectTimeout, CancellationToken requestToken)
    {
        bool unix = endPoint is UnixDomainSocketEndPoint;
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, unix ? ProtocolType.Unspecified : ProtocolType.Tcp);
        try
        {
            if (!unix)
            {
                // A request goes out in one send, but the peer's delayed ACK must never hold the next one back.
                socket.NoDelay = true;
            }

            // Connecting is the cold path: a linked source per attempt is fine here.
            using var connectCts = CancellationTokenSource.CreateLinkedTokenSource(requestToken);
            if (connectTimeout != Timeout.InfiniteTimeSpan)
            {
                connectCts.CancelAfter(connectTimeout);
            }

            await socket.ConnectAsync(endPoint, connectCts.Token).ConfigureAwait(false);
            return (socket, Http1Outcome.Ok, SocketError.Success);
        }
        catch (OperationCanceledException) when (!requestToken.IsCancellationRequested)
        {
            socket.Dispose();
            return (null, Http1Outcome.ConnectTimeout, SocketError.TimedOut);
        }
        catch (SocketException e)
        {
            socket.Dispose();

            // A Unix socket path that does not exist yet is a container still starting, like a refused port.
            bool refused = e.SocketErrorCode == SocketError.ConnectionRefused
                || (unix && e.SocketErrorCode is SocketError.AddressNotAvailable or SocketError.AddressFamilyNotSupported);
            return (null, refused ? Http1Outcome.ConnectRefused : Http1Outcome.ConnectFailed, e.SocketErrorCode);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    internal static Http1Connection Create(Http1ConnectionPool pool, Socket socket) => new(pool, socket);

    /// <summary>
    /// Whether an idle connection could carry a request, asked without taking it (the exchange checks the
    /// connection it takes by posting its receive first): a zero-timeout poll reports readable when the peer
    /// closed, reset, or sent bytes nobody asked for; any of these rules the connection out (RFC 9112 §9.3).
    /// </summary>
    public bool IsAlive()
    {
        try
        {
            return !_socket.Poll(0, SelectMode.SelectRead);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Sends some of <paramref name="request"/> (a stream socket may take less than all); returns how much.</summary>
    public ValueTask<int> SendAsync(ReadOnlyMemory<byte> request) => _socket.SendAsync(request, SocketFlags.None);

    /// <summary>Receives into the pipe's free memory; pass the count to <see cref="CommitReceive"/>.</summary>
    public ValueTask<int> ReceiveAsync() => _socket.ReceiveAsync(_pipe.Writer.GetMemory(MinimumReceiveSize), SocketFlags.None);

    /// <summary>Makes <paramref name="received"/> bytes readable from <see cref="Reader"/>; 0 means the peer closed.</summary>
    public void CommitReceive(int received)
    {
        if (received == 0)
        {
            _pipe.Writer.Complete();
            return;
        }

        _pipe.Writer.Advance(received);

        // No back-pressure and no reader waiting: the flush completes here and now.
        ValueTask<FlushResult> flush = _pipe.Writer.FlushAsync();
        Debug.Assert(flush.IsCompletedSuccessfully, "an unthrottled flush with no reader waiting is synchronous");
        flush.GetAwaiter().GetResult();
    }

    /// <summary>Closes the socket under a pending send or receive (deadline, cancellation, pool disposal); the holder still calls <see cref="Dispose"/>.</summary>
    public void Abort() => _socket.Dispose();

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _socket.Dispose();
        _pipe.Reader.Complete();
        _pipe.Writer.Complete();
        _pool.OnConnectionClosed(this);
        Debug.Assert(PoolIndex == -1, "the pool forgot the connection");
    }
}
