using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Perf.Invoker.Http;

namespace Perf.Invoker.Benchmarks.Http;

/// <summary>
/// The cross-process HTTP client measurement (bench/http/run.sh): one client, in a process of its own, keeps
/// <c>--inflight</c> POSTs of a <c>--body</c>-byte OpenWhisk /run body going against <c>--target</c> for
/// <c>--warmup</c> plus <c>--seconds</c> seconds, and prints one line with the requests/s and the process's
/// own CPU time (user + kernel) and bytes allocated per request over the measured window. The process does nothing else, so
/// its CPU time is the client's: the server's work is in another process, on another core.
/// </summary>
/// <remarks>
/// <c>--http-client pool|httpclient --target URL --inflight N --body BYTES [--seconds S] [--warmup W]</c>.
/// The pool is set up as ActionClient sets it up; HttpClient the lean way,
/// as in <see cref="Http1ConnectionPoolBenchmarks"/>.
/// </remarks>
internal static class HttpClientDriver
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);
    private static readonly Http1BodyWriter<byte[]> s_writeBody = static (writer, body) => writer.Write(body);

    /// <summary>What the workers share: requests completed, the stop flag, the first failure.</summary>
    private sealed class Progress
    {
        public long Completed;
        public volatile bool Stop;
        public volatile Exception? Failure;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        string client = Option(args, "--http-client") ?? throw new ArgumentException("--http-client pool|httpclient");
        var target = new Uri(Option(args, "--target") ?? throw new ArgumentException("--target URL"));
        int inflight = int.Parse(Option(args, "--inflight") ?? "1", CultureInfo.InvariantCulture);
        int bodySize = int.Parse(Option(args, "--body") ?? "100", CultureInfo.InvariantCulture);
        double seconds = double.Parse(Option(args, "--seconds") ?? "3", CultureInfo.InvariantCulture);
        double warmup = double.Parse(Option(args, "--warmup") ?? "1", CultureInfo.InvariantCulture);
        byte[] body = JsonBody(bodySize);
        var progress = new Progress();

        Func<Task> worker;
        IDisposable owner;
        if (client == "pool")
        {
            var pool = new Http1ConnectionPool(new Http1ConnectionPoolOptions
            {
                EndPoint = new IPEndPoint(IPAddress.Parse(target.Host), target.Port),
                MaxConnections = inflight,
            });
            Http1RequestHead head = pool.CreatePostHead(target.AbsolutePath);
            worker = () => PoolWorkerAsync(pool, head, body, progress);
            owner = pool;
        }
        else if (client == "httpclient")
        {
            var http = new HttpClient(new SocketsHttpHandler
            {
                MaxConnectionsPerServer = inflight,
                UseProxy = false,
                UseCookies = false,
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.None,
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
            });
            worker = () => HttpClientWorkerAsync(http, target, body, progress);
            owner = http;
        }
        else if (client == "raw")
        {
            // No client: the floor, as RawSocketFloor in Http1ConnectionPoolBenchmarks.
            var endPoint = new IPEndPoint(IPAddress.Parse(target.Host), target.Port);
            byte[] request = [.. Encoding.ASCII.GetBytes($"POST {target.AbsolutePath} HTTP/1.1\r\nHost: {endPoint}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n"), .. body];
            worker = () => RawWorkerAsync(endPoint, request, progress);
            owner = new CancellationTokenSource();
        }
        else
        {
            throw new ArgumentException($"Unknown client '{client}': pool, httpclient or raw.");
        }

        using (owner)
        {
            var workers = new Task[inflight];
            for (int i = 0; i < inflight; i++)
            {
                workers[i] = Task.Run(worker);
            }

            await Task.Delay(TimeSpan.FromSeconds(warmup));
            (long requests, TimeSpan user, TimeSpan kernel, long ticks, long allocated) start = Snapshot(progress);
            await Task.Delay(TimeSpan.FromSeconds(seconds));
            (long requests, TimeSpan user, TimeSpan kernel, long ticks, long allocated) end = Snapshot(progress);
            progress.Stop = true;
            await Task.WhenAll(workers);
            if (progress.Failure is not null)
            {
                output.WriteLine($"failed: {progress.Failure}");
                return 1;
            }

            long n = end.requests - start.requests;
            double elapsed = Stopwatch.GetElapsedTime(start.ticks, end.ticks).TotalSeconds;
            double userUs = (end.user - start.user).TotalMicroseconds / n;
            double kernelUs = (end.kernel - start.kernel).TotalMicroseconds / n;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"client={client} inflight={inflight} body={bodySize} requests={n} rps={n / elapsed:F0} cpu_us={userUs + kernelUs:F2} user_us={userUs:F2} kernel_us={kernelUs:F2} alloc_b={(double)(end.allocated - start.allocated) / n:F1}"));
            return 0;
        }
    }

    private static (long Requests, TimeSpan User, TimeSpan Kernel, long Ticks, long Allocated) Snapshot(Progress progress)
    {
        Environment.ProcessCpuUsage cpu = Environment.CpuUsage;
        return (Interlocked.Read(ref progress.Completed), cpu.UserTime, cpu.PrivilegedTime, Stopwatch.GetTimestamp(), GC.GetTotalAllocatedBytes(precise: true));
    }

    /// <summary>
    /// One POST the lean way to use HttpClient: the body copied into a buffer the worker reuses (as the pool's body writer
    /// copies it into the request buffer), headers-read, the answer drained into a reused buffer.
    /// </summary>
    /// <returns>The status and the answer's length.</returns>
    internal static async Task<(HttpStatusCode Status, int Length)> PostLeanAsync(HttpClient http, Uri target, byte[] body, byte[] bodyBuffer, byte[] readBuffer)
    {
        body.CopyTo(bodyBuffer, 0);
        using var content = new ReadOnlyMemoryContent(bodyBuffer);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, target) { Content = content };
        using HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using Stream stream = await response.Content.ReadAsStreamAsync();
        int total = 0;
        int read;
        while ((read = await stream.ReadAsync(readBuffer)) > 0)
        {
            total += read;
        }

        return (response.StatusCode, total);
    }

    private static async Task PoolWorkerAsync(Http1ConnectionPool pool, Http1RequestHead head, byte[] body, Progress progress)
    {
        try
        {
            while (!progress.Stop)
            {
                using Http1Response response = await pool.PostAsync(head, s_writeBody, body, s_timeout);
                if (response.Outcome != Http1Outcome.Ok || response.StatusCode != 200 || response.Body.Length == 0)
                {
                    throw new InvalidOperationException($"Request failed: {response.Outcome} {response.StatusCode}");
                }

                Interlocked.Increment(ref progress.Completed);
            }
        }
        catch (Exception e)
        {
            progress.Failure = e;
            progress.Stop = true;
        }
    }

    private static async Task HttpClientWorkerAsync(HttpClient http, Uri target, byte[] body, Progress progress)
    {
        // The lean way, as in Http1ConnectionPoolBenchmarks: the body copied into a buffer the worker reuses
        // (as the pool's body writer copies it into the request buffer), headers-read, the answer drained
        // into a reused buffer.
        byte[] bodyBuffer = new byte[body.Length];
        byte[] readBuffer = new byte[4096];
        try
        {
            while (!progress.Stop)
            {
                (HttpStatusCode status, int total) = await PostLeanAsync(http, target, body, bodyBuffer, readBuffer);
                if (status != HttpStatusCode.OK || total == 0)
                {
                    throw new InvalidOperationException($"Request failed: {status}");
                }

                Interlocked.Increment(ref progress.Completed);
            }
        }
        catch (Exception e)
        {
            progress.Failure = e;
            progress.Stop = true;
        }
    }

    /// <summary>
    /// One socket sending pre-built request bytes and reading until the answer's Content-Length is in: the
    /// least an HTTP/1.1 client on .NET's sockets can cost (it frames nothing and parses next to nothing).
    /// </summary>
    private static async Task RawWorkerAsync(IPEndPoint endPoint, byte[] request, Progress progress)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        byte[] buffer = new byte[16 * 1024];
        try
        {
            await socket.ConnectAsync(endPoint);
            while (!progress.Stop)
            {
                await socket.SendAsync(request.AsMemory(), SocketFlags.None);
                int received = 0;
                int expected = -1;
                while (expected < 0 || received < expected)
                {
                    int n = await socket.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None);
                    received += n > 0 ? n : throw new InvalidOperationException("The server closed.");
                    if (expected < 0)
                    {
                        expected = ExpectedLength(buffer.AsSpan(0, received));
                    }
                }

                Interlocked.Increment(ref progress.Completed);
            }
        }
        catch (Exception e)
        {
            progress.Failure = e;
            progress.Stop = true;
        }
    }

    /// <summary>Head plus Content-Length once the head is in; -1 before.</summary>
    private static int ExpectedLength(ReadOnlySpan<byte> received)
    {
        int headEnd = received.IndexOf("\r\n\r\n"u8);
        if (headEnd < 0)
        {
            return -1;
        }

        ReadOnlySpan<byte> head = received[..headEnd];
        int at = head.IndexOf("\r\nContent-Length: "u8);
        Utf8Parser.TryParse(head[(at + 18)..], out int length, out _);
        return headEnd + 4 + length;
    }

    /// <summary>
    /// Hosts <see cref="BenchmarkHttpServer"/> on 127.0.0.1:<c>--http-server PORT</c> until the process is
    /// killed: the server side of the cross-process measurement.
    /// </summary>
    public static int Serve(string[] args, TextWriter output)
    {
        int port = int.Parse(Option(args, "--http-server") ?? "0", CultureInfo.InvariantCulture);
        using var server = new BenchmarkHttpServer(port);
        output.WriteLine($"listening {server.EndPoint}");
        output.Flush();
        Thread.Sleep(Timeout.Infinite);
        return 0;
    }

    /// <summary>A /run body of <paramref name="size"/> bytes: a padded parameter in OpenWhisk's envelope.</summary>
    internal static byte[] JsonBody(int size)
    {
        const string Head = "{\"value\":{\"name\":\"";
        const string Tail = "\"},\"activation_id\":\"6d4c4b4b0e3c4f1f\"}";
        int pad = Math.Max(0, size - Head.Length - Tail.Length);
        return Encoding.ASCII.GetBytes(Head + new string('x', pad) + Tail);
    }

    private static string? Option(string[] args, string name)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }
}
