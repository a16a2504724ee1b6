using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Perf.Invoker.Tests.Http;

/// <summary>
/// A raw-socket HTTP/1.1 server on 127.0.0.1 (or a Unix socket) whose every connection runs a script
/// the test writes: answer properly, or misbehave on purpose (close, reset, dribble, send garbage).
/// </summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly Func<ServerConnection, Task> _script;
    private readonly List<ServerConnection> _connections = [];
    private readonly List<Task> _running = [];
    private readonly List<Exception> _scriptErrors = [];
    private readonly Task _acceptLoop;
    private readonly string? _unixPath;

    private LoopbackServer(Socket listener, Func<ServerConnection, Task> script, string? unixPath)
    {
        _listener = listener;
        _script = script;
        _unixPath = unixPath;
        _acceptLoop = AcceptLoopAsync();
    }

    public EndPoint EndPoint => _listener.LocalEndPoint!;

    public int AcceptedCount
    {
        get
        {
            lock (_connections)
            {
                return _connections.Count;
            }
        }
    }

    public IReadOnlyList<ServerConnection> Connections
    {
        get
        {
            lock (_connections)
            {
                return [.. _connections];
            }
        }
    }

    public static LoopbackServer Start(Func<ServerConnection, Task> script)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(512);
        return new LoopbackServer(listener, script, null);
    }

    /// <summary>Starts listening on an already bound socket (one that refused connections until now).</summary>
    public static LoopbackServer Start(Socket boundSocket, Func<ServerConnection, Task> script)
    {
        boundSocket.Listen(512);
        return new LoopbackServer(boundSocket, script, null);
    }

    public static LoopbackServer StartUnix(string path, Func<ServerConnection, Task> script)
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(512);
        return new LoopbackServer(listener, script, path);
    }

    /// <summary>A script that answers every request with <paramref name="respond"/> until the client closes.</summary>
    public static Func<ServerConnection, Task> Serve(Func<ServerConnection, ServerRequest, string> respond) => async connection =>
    {
        while (await connection.ReadRequestAsync() is { } request)
        {
            await connection.SendAsync(respond(connection, request));
        }
    };

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            ServerConnection connection;
            lock (_connections)
            {
                connection = new ServerConnection(socket, _connections.Count + 1);
                _connections.Add(connection);
                _running.Add(RunAsync(connection));
            }
        }
    }

    private async Task RunAsync(ServerConnection connection)
    {
        await Task.Yield();
        try
        {
            await _script(connection);
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            // The client closing on a misbehaving script is part of the test.
        }
        catch (Exception e)
        {
            lock (_scriptErrors)
            {
                _scriptErrors.Add(e);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        await _acceptLoop;
        Task[] running;
        lock (_connections)
        {
            foreach (ServerConnection connection in _connections)
            {
                connection.Close();
            }

            running = [.. _running];
        }

        await Task.WhenAll(running);
        if (_unixPath is not null)
        {
            File.Delete(_unixPath);
        }

        lock (_scriptErrors)
        {
            if (_scriptErrors.Count > 0)
            {
                throw new AggregateException("A server script failed.", _scriptErrors);
            }
        }
    }
}

/// <summary>A request as the server read it.</summary>
internal sealed record ServerRequest(string Method, string Path, string Head, byte[] Body)
{
    public string BodyText => Encoding.UTF8.GetString(Body);
}

/// <summary>The server's side of one accepted connection.</summary>
internal sealed class ServerConnection(Socket socket, int id)
{
    private byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;
    private int _requestCount;

    /// <summary>1 for the first connection accepted, 2 for the next, ...</summary>
    public int Id { get; } = id;

    public int RequestCount => Volatile.Read(ref _requestCount);

    /// <summary>Reads one request framed by Content-Length; null when the client closed first.</summary>
    public async Task<ServerRequest?> ReadRequestAsync()
    {
        int headEnd;
        while ((headEnd = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (!await FillAsync())
            {
                return null;
            }
        }

        string head = Encoding.ASCII.GetString(_buffer, _start, headEnd);
        string[] lines = head.Split("\r\n");
        string[] requestLine = lines[0].Split(' ');
        int contentLength = 0;
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (line[..colon].Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                contentLength = int.Parse(line[(colon + 1)..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        int total = headEnd + 4 + contentLength;
        while (_end - _start < total)
        {
            if (!await FillAsync())
            {
                return null;
            }
        }

        byte[] body = _buffer.AsSpan(_start + headEnd + 4, contentLength).ToArray();
        _start += total;
        Interlocked.Increment(ref _requestCount);
        return new ServerRequest(requestLine[0], requestLine[1], head, body);
    }

    public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text));

    /// <summary>The client closed or reset the connection while this side was still sending.</summary>
    public bool ClientGone { get; private set; }

    /// <summary>
    /// Sends all the bytes, or stops quietly when the client has gone: a client that stops reading on
    /// purpose (oversized headers or body) may close before a long answer is out, depending on timing.
    /// </summary>
    public async Task SendAsync(byte[] bytes)
    {
        int sent = 0;
        try
        {
            while (sent < bytes.Length && !ClientGone)
            {
                sent += await socket.SendAsync(bytes.AsMemory(sent), SocketFlags.None);
            }
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown)
        {
            ClientGone = true;
        }
    }

    /// <summary>Sends one byte at a time with a pause between, so the client reads the message in many pieces.</summary>
    public async Task DribbleAsync(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        for (int i = 0; i < bytes.Length; i++)
        {
            await socket.SendAsync(bytes.AsMemory(i, 1), SocketFlags.None);
            await Task.Delay(1);
        }
    }

    /// <summary>Closes gracefully (FIN).</summary>
    public void Close() => socket.Dispose();

    /// <summary>Closes with a reset (RST): linger on with a zero timeout.</summary>
    public void Reset()
    {
        socket.LingerState = new LingerOption(true, 0);
        socket.Dispose();
    }

    /// <summary>Reads and drops everything until the client closes; true once it did (false if the wait gives up after 30 s).</summary>
    public async Task<bool> WaitForClientCloseAsync()
    {
        if (ClientGone)
        {
            return true;
        }

        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            while (true)
            {
                if (_end - _start > 0)
                {
                    _start = _end;
                }

                if (await socket.ReceiveAsync(_buffer, SocketFlags.None, giveUp.Token) == 0)
                {
                    return true;
                }
            }
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task<bool> FillAsync()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        int read = await socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None);
        _end += read;
        return read > 0;
    }
}
