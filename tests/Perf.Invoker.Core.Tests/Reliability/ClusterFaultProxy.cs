using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Perf.Invoker.Tests.Reliability;

/// <summary>
/// A loopback TCP relay put between the invoker and CouchDB by the cluster fault tests: it passes bytes through, or plays
/// the database down (every connection reset, open ones and new ones alike), or slow (each chunk a client sends held for
/// <see cref="Delay"/> before it goes on). The tests' own checks read CouchDB directly, past the faults.
/// </summary>
internal sealed class ClusterFaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Uri _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private readonly Task _accepting;
    private long _delayTicks;
    private volatile bool _down;

    public ClusterFaultProxy(Uri target)
    {
        _target = target;
        _listener.Start();
        Address = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
        _accepting = AcceptAsync();
    }

    public Uri Address { get; }

    /// <summary>How long each chunk from a client waits before it is passed on; zero passes at once.</summary>
    public TimeSpan Delay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _delayTicks));
        set => Interlocked.Exchange(ref _delayTicks, value.Ticks);
    }

    /// <summary>Resets every open connection and, while down, every new one as it is accepted.</summary>
    public bool Down
    {
        get => _down;
        set
        {
            _down = value;
            if (value)
            {
                ResetAll();
            }
        }
    }

    /// <summary>Resets every open connection (a database restart), without refusing new ones.</summary>
    public void ResetAll()
    {
        foreach (Socket socket in _open.Keys)
        {
            Reset(socket);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        ResetAll();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            if (_down)
            {
                Reset(client);
                continue;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _open[client] = 0;
        _open[server] = 0;
        try
        {
            await server.ConnectAsync(_target.Host, _target.Port, _stop.Token);
            await Task.WhenAny(PumpAsync(client, server, delayed: true), PumpAsync(server, client, delayed: false));
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Reset by a fault, or the other side went away: the connection ends either way.
        }
        finally
        {
            Reset(client);
            Reset(server);
            _open.TryRemove(client, out _);
            _open.TryRemove(server, out _);
        }
    }

    private async Task PumpAsync(Socket from, Socket to, bool delayed)
    {
        byte[] buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    return;
                }

                if (delayed && Delay is { Ticks: > 0 } delay)
                {
                    await Task.Delay(delay, _stop.Token);
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Closes with a reset (linger 0), as a process that died leaves its connections.</summary>
    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }
}
