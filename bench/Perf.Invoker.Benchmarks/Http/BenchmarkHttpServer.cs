using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;

namespace Perf.Invoker.Benchmarks.Http;

/// <summary>
/// A raw-socket HTTP/1.1 server on 127.0.0.1 that reads each request (head, then Content-Length bytes
/// of body) and answers with a fixed ~100-byte JSON body. It allocates nothing per request, so
/// MemoryDiagnoser's process-wide count is the client's, and it does as little work as an HTTP server
/// can, so the client is what is measured.
/// </summary>
internal sealed class BenchmarkHttpServer : IDisposable
{
    /// <summary>About the size of an action's result: <c>{"result":…}</c> of a hello-world action plus an id.</summary>
    internal static readonly byte[] ResponseBody =
        """{"activationId":"6d4c4b4b0e3c4f1f8c4b4b0e3c4f1f8c","result":{"greeting":"Hello stranger!"},"ok":1}"""u8.ToArray();

    /// <summary>Bytes of the whole answer, head included: what the raw-socket floor reads per request.</summary>
    internal static int ResponseLength => s_response.Length;

    private static readonly byte[] s_response = Encoding.ASCII.GetBytes(
        $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {ResponseBody.Length}\r\n\r\n")
        .Concat(ResponseBody).ToArray();

    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;

    /// <param name="port">0 for any free port (in-process benchmarks), or the port the cross-process run's client targets.</param>
    public BenchmarkHttpServer(int port = 0)
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        _listener.Listen(1024);
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }

            socket.NoDelay = true;
            // Not awaited on purpose: a connection is served until it closes, and ServeAsync ends on its own errors.
#pragma warning disable CA2012
            _ = ServeAsync(socket);
#pragma warning restore CA2012
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ServeAsync(Socket socket)
    {
        byte[] buffer = GC.AllocateUninitializedArray<byte>(16 * 1024, pinned: true);
        int start = 0;
        int end = 0;
        long bodyLeft = 0;
        try
        {
            while (true)
            {
                // Answer every complete request in the buffer.
                while (true)
                {
                    if (bodyLeft > 0)
                    {
                        int skip = (int)Math.Min(bodyLeft, end - start);
                        start += skip;
                        bodyLeft -= skip;
                        if (bodyLeft > 0)
                        {
                            break;
                        }

                        await socket.SendAsync(s_response.AsMemory(), SocketFlags.None);
                        continue;
                    }

                    int headEnd = buffer.AsSpan(start, end - start).IndexOf("\r\n\r\n"u8);
                    if (headEnd < 0)
                    {
                        break;
                    }

                    bodyLeft = ContentLength(buffer.AsSpan(start, headEnd));
                    start += headEnd + 4;
                    if (bodyLeft == 0)
                    {
                        await socket.SendAsync(s_response.AsMemory(), SocketFlags.None);
                    }
                }

                if (start == end)
                {
                    start = end = 0;
                }
                else if (end == buffer.Length)
                {
                    buffer.AsSpan(start, end - start).CopyTo(buffer);
                    end -= start;
                    start = 0;
                }

                int read = await socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None);
                if (read == 0)
                {
                    return;
                }

                end += read;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The client went away.
        }
        finally
        {
            socket.Dispose();
        }
    }

    private static long ContentLength(ReadOnlySpan<byte> head)
    {
        // Both clients send exactly this spelling.
        int at = head.IndexOf("\r\nContent-Length: "u8);
        if (at < 0)
        {
            return 0;
        }

        Utf8Parser.TryParse(head.Slice(at + 18), out long length, out _);
        return length;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        _acceptLoop.Wait();
        _stop.Dispose();
    }
}
