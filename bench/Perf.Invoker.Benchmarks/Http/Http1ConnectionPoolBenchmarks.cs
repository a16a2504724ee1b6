using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using BenchmarkDotNet.Attributes;
using Perf.Invoker.Http;

namespace Perf.Invoker.Benchmarks.Http;

/// <summary>
/// POST a JSON body to a loopback server and read its ~100-byte JSON answer, <see cref="Concurrency"/>
/// requests in flight at once over as many connections: <see cref="Http1ConnectionPool"/> against
/// HttpClient on SocketsHttpHandler (MaxConnectionsPerServer = Concurrency). Each invocation sends
/// <see cref="RequestsPerInvocation"/> requests split evenly over long-lived workers, so times and
/// allocations are per request. <see cref="RawSocketFloor"/> is no client: one socket per worker sending
/// pre-built bytes and reading a known-length answer, the least any HTTP/1.1 client can do here.
/// Workers live across invocations, each woken by its own signal, so the harness allocates no task per
/// worker per invocation, which MemoryDiagnoser would otherwise charge to the client under test.
/// </summary>
[MemoryDiagnoser]
public class Http1ConnectionPoolBenchmarks
{
    public const int RequestsPerInvocation = 2000;

    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    /// <summary>The invoker's JSON writer targets IBufferWriter; copying pre-built JSON stands in for it.</summary>
    private static readonly Http1BodyWriter<byte[]> s_writeBody = static (writer, body) => writer.Write(body);

    private BenchmarkHttpServer _server = null!;
    private Http1ConnectionPool _pool = null!;
    private Http1RequestHead _run = null!;
    private HttpClient _client = null!;
    private Uri _uri = null!;
    private byte[] _body = null!;
    private byte[] _rawRequest = null!;
    private Socket[] _rawSockets = null!;
    private ValueTaskSignal<bool>[] _poolWorkers = null!;
    private ValueTaskSignal<bool>[] _clientWorkers = null!;
    private ValueTaskSignal<bool>[] _rawWorkers = null!;
    private int _requestsPerWorker;

    /// <summary>Workers still busy in the current invocation.</summary>
    private int _running;
    private TaskCompletionSource _invocationDone = new();
    private Exception? _failure;

    /// <summary>Process CPU time (client, in-process server and the kernel work they cause) spent in measured invocations, per worker group.</summary>
    private readonly Dictionary<ValueTaskSignal<bool>[], (TimeSpan Cpu, long Requests)> _cpu = [];

    [Params(1, 16, 200)]
    public int Concurrency { get; set; }

    /// <summary>Request body size: a small /run (~100 B) or a large one (64 KiB of parameters).</summary>
    [Params(100, 64 * 1024)]
    public int BodySize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _server = new BenchmarkHttpServer();
        _pool = new Http1ConnectionPool(new Http1ConnectionPoolOptions { EndPoint = _server.EndPoint, MaxConnections = Concurrency });
        _run = _pool.CreatePostHead("/run");
        _client = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = Concurrency,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
        });
        _uri = new Uri($"http://{_server.EndPoint}/run");
        _body = HttpClientDriver.JsonBody(BodySize);
        _rawRequest = [.. Encoding.ASCII.GetBytes($"POST /run HTTP/1.1\r\nHost: {_server.EndPoint}\r\nContent-Type: application/json\r\nContent-Length: {_body.Length}\r\n\r\n"), .. _body];
        _rawSockets = new Socket[Concurrency];
        _requestsPerWorker = RequestsPerInvocation / Concurrency;
        _poolWorkers = new ValueTaskSignal<bool>[Concurrency];
        _clientWorkers = new ValueTaskSignal<bool>[Concurrency];
        _rawWorkers = new ValueTaskSignal<bool>[Concurrency];
        for (int i = 0; i < Concurrency; i++)
        {
            _rawSockets[i] = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            _rawSockets[i].Connect(_server.EndPoint);
            _poolWorkers[i] = new ValueTaskSignal<bool>();
            _clientWorkers[i] = new ValueTaskSignal<bool>();
            _rawWorkers[i] = new ValueTaskSignal<bool>();
            _ = PoolWorkerAsync(_poolWorkers[i]);
            _ = HttpClientWorkerAsync(_clientWorkers[i], new byte[_body.Length], new byte[4096]);
            _ = RawWorkerAsync(_rawWorkers[i], _rawSockets[i], new byte[4096]);
        }

        // Open every connection and grow every buffer before measuring: the steady state is a warm pool.
        Pool().GetAwaiter().GetResult();
        HttpClient().GetAwaiter().GetResult();
        RawSocketFloor().GetAwaiter().GetResult();
        _cpu.Clear();
        _cpu[_poolWorkers] = default;
        _cpu[_clientWorkers] = default;
        _cpu[_rawWorkers] = default;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        // Wall-clock time on a shared machine measures its other tenants too; CPU time per request does not.
        foreach ((ValueTaskSignal<bool>[] workers, (TimeSpan cpu, long requests)) in _cpu)
        {
            if (requests > 0)
            {
                string method = workers == _poolWorkers ? nameof(Pool) : workers == _clientWorkers ? nameof(HttpClient) : nameof(RawSocketFloor);
                Console.WriteLine($"// CPU per request: {method} Concurrency={Concurrency} BodySize={BodySize}: {cpu.TotalMicroseconds / requests:F1} us ({requests} requests)");
            }
        }

        foreach (ValueTaskSignal<bool> worker in _poolWorkers.Concat(_clientWorkers).Concat(_rawWorkers))
        {
            worker.Set(false);
        }

        _pool.Dispose();
        _client.Dispose();
        foreach (Socket socket in _rawSockets)
        {
            socket.Dispose();
        }

        _server.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = RequestsPerInvocation)]
    public Task HttpClient() => RunAsync(_clientWorkers);

    [Benchmark(OperationsPerInvoke = RequestsPerInvocation)]
    public Task Pool() => RunAsync(_poolWorkers);

    [Benchmark(OperationsPerInvoke = RequestsPerInvocation)]
    public Task RawSocketFloor() => RunAsync(_rawWorkers);

    private async Task RunAsync(ValueTaskSignal<bool>[] workers)
    {
        TimeSpan cpuBefore = Environment.CpuUsage.TotalTime;
        _invocationDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _running = workers.Length;
        foreach (ValueTaskSignal<bool> worker in workers)
        {
            worker.Set(true);
        }

        await _invocationDone.Task;
        if (_cpu.TryGetValue(workers, out (TimeSpan Cpu, long Requests) spent))
        {
            _cpu[workers] = (spent.Cpu + (Environment.CpuUsage.TotalTime - cpuBefore), spent.Requests + RequestsPerInvocation);
        }

        if (_failure is not null)
        {
            throw new InvalidOperationException("A request failed.", _failure);
        }
    }

    private void WorkerDone(Exception? failure)
    {
        if (failure is not null)
        {
            _failure = failure;
        }

        if (Interlocked.Decrement(ref _running) == 0)
        {
            _invocationDone.SetResult();
        }
    }

    private async Task PoolWorkerAsync(ValueTaskSignal<bool> signal)
    {
        while (await signal.WaitAsync())
        {
            Exception? failure = null;
            try
            {
                for (int i = 0; i < _requestsPerWorker; i++)
                {
                    using Http1Response response = await _pool.PostAsync(_run, s_writeBody, _body, s_timeout);
                    if (response.Outcome != Http1Outcome.Ok || response.Body.Length != BenchmarkHttpServer.ResponseBody.Length)
                    {
                        throw new InvalidOperationException($"Request failed: {response.Outcome} {response.StatusCode}");
                    }
                }
            }
            catch (Exception e)
            {
                failure = e;
            }

            WorkerDone(failure);
        }
    }

    private async Task HttpClientWorkerAsync(ValueTaskSignal<bool> signal, byte[] bodyBuffer, byte[] readBuffer)
    {
        while (await signal.WaitAsync())
        {
            Exception? failure = null;
            try
            {
                for (int i = 0; i < _requestsPerWorker; i++)
                {
                    (HttpStatusCode status, int total) = await HttpClientDriver.PostLeanAsync(_client, _uri, _body, bodyBuffer, readBuffer);
                    if (status != HttpStatusCode.OK || total != BenchmarkHttpServer.ResponseBody.Length)
                    {
                        throw new InvalidOperationException($"Request failed: {status}");
                    }
                }
            }
            catch (Exception e)
            {
                failure = e;
            }

            WorkerDone(failure);
        }
    }

    private async Task RawWorkerAsync(ValueTaskSignal<bool> signal, Socket socket, byte[] readBuffer)
    {
        int responseLength = BenchmarkHttpServer.ResponseLength;
        while (await signal.WaitAsync())
        {
            Exception? failure = null;
            try
            {
                for (int i = 0; i < _requestsPerWorker; i++)
                {
                    for (int sent = 0; sent < _rawRequest.Length;)
                    {
                        sent += await socket.SendAsync(_rawRequest.AsMemory(sent), SocketFlags.None);
                    }

                    for (int received = 0; received < responseLength;)
                    {
                        int n = await socket.ReceiveAsync(readBuffer.AsMemory(received), SocketFlags.None);
                        received += n > 0 ? n : throw new InvalidOperationException("The server closed.");
                    }
                }
            }
            catch (Exception e)
            {
                failure = e;
            }

            WorkerDone(failure);
        }
    }
}
