using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Perf.Invoker.Http;
using static Perf.Invoker.Tests.Http.HttpTestSupport;

namespace Perf.Invoker.Tests.Http;

/// <summary>Pool behaviour against a real loopback server: limits, reuse order, fairness, retries, deadlines, disposal.</summary>
[Trait("Category", "Unit")]
public sealed class Http1ConnectionPoolTests
{
    /// <summary>
    /// A server that answers each request with the id of the connection it came on, holding back the
    /// answer to requests whose body is gated until the test opens the gate.
    /// </summary>
    private sealed class GatedServer : IAsyncDisposable
    {
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new();
        private readonly ConcurrentQueue<(int Connection, string Body)> _received = new();
        private int _pending;

        public GatedServer() => Server = LoopbackServer.Start(async c =>
        {
            while (await c.ReadRequestAsync() is { } request)
            {
                _received.Enqueue((c.Id, request.BodyText));
                if (_gates.TryGetValue(request.BodyText, out TaskCompletionSource? gate))
                {
                    Interlocked.Increment(ref _pending);
                    await gate.Task;
                    Interlocked.Decrement(ref _pending);
                }

                await c.SendAsync(Ok(c.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }
        });

        public LoopbackServer Server { get; }

        /// <summary>Requests held at a gate right now.</summary>
        public int Pending => Volatile.Read(ref _pending);

        public IEnumerable<string> ReceivedBodies => _received.Select(r => r.Body);

        public void Gate(params string[] bodies)
        {
            foreach (string body in bodies)
            {
                _gates[body] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        public void Open(string body) => _gates[body].SetResult();

        public ValueTask DisposeAsync()
        {
            foreach (TaskCompletionSource gate in _gates.Values)
            {
                gate.TrySetResult();
            }

            return Server.DisposeAsync();
        }
    }

    private static async Task<int> ConnectionIdOf(ValueTask<Http1Response> pending)
    {
        using Http1Response response = await pending;
        Assert.Equal(Http1Outcome.Ok, response.Outcome);
        return int.Parse(response.BodyText(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Pool_AllConnectionsBusy_OpensAtMostNAndQueuesTheRest()
    {
        await using var server = new GatedServer();
        string[] bodies = ["r0", "r1", "r2", "r3", "r4", "r5"];
        server.Gate(bodies);
        var pool = CreatePool(server.Server.EndPoint, maxConnections: 2);

        Task<int>[] requests = [.. bodies.Select(b => ConnectionIdOf(pool.PostAsync("/run", b)))];
        await Eventually.True(() => server.Pending == 2 && pool.Counters.Waiters == 4, "two requests are at the server and four wait");

        Http1PoolCounters busy = pool.Counters;
        Assert.Equal(2, busy.OpenConnections);
        Assert.Equal(2, busy.BusyConnections);
        Assert.Equal(0, busy.IdleConnections);
        Assert.Equal(2, server.Server.AcceptedCount);

        foreach (string body in bodies)
        {
            server.Open(body);
        }

        int[] connections = await Task.WhenAll(requests);
        Assert.All(connections, id => Assert.InRange(id, 1, 2));
        Assert.Equal(2, server.Server.AcceptedCount);
        AssertSettled(pool, expectedOpen: 2);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Pool_IdleConnections_AreReusedLastInFirstOut()
    {
        await using var server = new GatedServer();
        server.Gate("a", "b", "c", "e", "f");
        var pool = CreatePool(server.Server.EndPoint, maxConnections: 3);

        Task<int> a = ConnectionIdOf(pool.PostAsync("/run", "a"));
        Task<int> b = ConnectionIdOf(pool.PostAsync("/run", "b"));
        Task<int> c = ConnectionIdOf(pool.PostAsync("/run", "c"));
        await Eventually.True(() => server.Pending == 3, "three requests are at the server");

        // Returned in the order a, b, c: c's connection ends up on top of the idle stack.
        server.Open("a");
        int first = await a;
        server.Open("b");
        int second = await b;
        server.Open("c");
        int third = await c;
        Assert.Equal(3, new HashSet<int> { first, second, third }.Count);
        AssertSettled(pool, expectedOpen: 3);

        Assert.Equal(third, await ConnectionIdOf(pool.PostAsync("/run", "d")));
        Task<int> e = ConnectionIdOf(pool.PostAsync("/run", "e"));
        Task<int> f = ConnectionIdOf(pool.PostAsync("/run", "f"));
        await Eventually.True(() => server.Pending == 2, "two requests are at the server");
        server.Open("e");
        server.Open("f");
        Assert.Equal(third, await e);
        Assert.Equal(second, await f);

        Assert.Equal(3, server.Server.AcceptedCount);
        AssertSettled(pool, expectedOpen: 3);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Pool_WaitersForABusyConnection_AreServedInArrivalOrder()
    {
        await using var server = new GatedServer();
        server.Gate("first");
        var pool = CreatePool(server.Server.EndPoint, maxConnections: 1);

        var requests = new List<Task<int>> { ConnectionIdOf(pool.PostAsync("/run", "first")) };
        await Eventually.True(() => server.Pending == 1, "the first request is at the server");
        for (int i = 1; i <= 5; i++)
        {
            requests.Add(ConnectionIdOf(pool.PostAsync("/run", $"w{i}")));
            int waiting = i;
            await Eventually.True(() => pool.Counters.Waiters == waiting, $"{waiting} requests wait");
        }

        server.Open("first");
        await Task.WhenAll(requests);

        Assert.Equal(["first", "w1", "w2", "w3", "w4", "w5"], server.ReceivedBodies);
        Assert.Equal(1, server.Server.AcceptedCount);
        AssertSettled(pool, expectedOpen: 1);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Pool_ReusedConnectionClosedAfterTheRequestWasSent_IsNotResent_BecauseTheActionMayHaveRun()
    {
        var bodiesByConnection = new ConcurrentQueue<(int, string)>();
        await using var server = LoopbackServer.Start(async c =>
        {
            if (c.Id == 1)
            {
                await c.SendAsync(Ok("{\"n\":" + (await c.ReadRequestAsync())!.BodyText + "}"));

                // The keep-alive race: the server gives up on the connection just as the next request arrives.
                bodiesByConnection.Enqueue((c.Id, (await c.ReadRequestAsync())!.BodyText));
                c.Close();
                return;
            }

            while (await c.ReadRequestAsync() is { } request)
            {
                bodiesByConnection.Enqueue((c.Id, request.BodyText));
                await c.SendAsync(Ok("{\"n\":" + request.BodyText + "}"));
            }
        });
        var pool = CreatePool(server.EndPoint);

        using (Http1Response first = await pool.PostAsync("/run", "1"))
        {
            Assert.Equal(Http1Outcome.Ok, first.Outcome);
        }

        using Http1Response second = await pool.PostAsync("/run", "2");

        // The runtime read the whole request before closing: the action may have run (and crashed), so
        // running it again is not this pool's call. The caller gets the failure.
        Assert.Equal(Http1Outcome.ConnectionClosedBeforeResponse, second.Outcome);
        Assert.Equal([(1, "2")], bodiesByConnection);
        Http1PoolCounters counters = pool.Counters;
        Assert.Equal(0, counters.StaleRetries);
        Assert.Equal(1, server.AcceptedCount);
        AssertSettled(pool, expectedOpen: 0);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Pool_IdleConnectionClosedByServer_IsDroppedByTheLivenessCheck()
    {
        // The receive posted before the send finds the server's FIN, so the request goes out on a new
        // connection, and the closed one never carries a byte of it.
        await using var server = LoopbackServer.Start(async c =>
        {
            await c.ReadRequestAsync();
            await c.SendAsync(Ok("{\"connection\":" + c.Id + "}"));
            if (c.Id == 1)
            {
                c.Close();
                return;
            }

            while (await c.ReadRequestAsync() is not null)
            {
                await c.SendAsync(Ok("{\"connection\":" + c.Id + "}"));
            }
        });
        var pool = CreatePool(server.EndPoint);
        (await pool.PostAsync("/run", "{}")).Dispose();
        await Eventually.True(() => pool.CountDeadIdleConnections() == 1, "the client has seen the server's FIN");

        using Http1Response response = await pool.PostAsync("/run", "{}");

        Assert.Equal("{\"connection\":2}", response.BodyText());
        Http1PoolCounters counters = pool.Counters;
        Assert.Equal(1, counters.DeadIdleConnections);
        Assert.Equal(0, counters.StaleRetries);
        AssertSettled(pool, expectedOpen: 1);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Pool_IdleConnectionWithBytesNobodyAskedFor_IsDroppedBeforeTheRequestIsWritten()
    {
        // A server out of step (a second response to one request) leaves bytes on the idle connection;
        // reading them as the next request's response would hand the caller somebody else's answer.
        var firstTaken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = LoopbackServer.Start(async c =>
        {
            await c.ReadRequestAsync();
            await c.SendAsync(Ok("{\"connection\":" + c.Id + "}"));
            if (c.Id == 1)
            {
                // Once the first answer was taken whole, so the stray one arrives on an idle connection.
                await firstTaken.Task;
                await c.SendAsync(Ok("{\"stray\":true}"));
            }

            while (await c.ReadRequestAsync() is not null)
            {
                await c.SendAsync(Ok("{\"connection\":" + c.Id + "}"));
            }
        });
        var pool = CreatePool(server.EndPoint);
        (await pool.PostAsync("/run", "{}")).Dispose();
        firstTaken.SetResult();
        await Eventually.True(() => pool.CountDeadIdleConnections() == 1, "the stray response reached the client");

        using Http1Response response = await pool.PostAsync("/run", "{}");

        Assert.Equal("{\"connection\":2}", response.BodyText());
        Http1PoolCounters counters = pool.Counters;
        Assert.Equal(1, counters.DeadIdleConnections);
        Assert.Equal(0, counters.StaleRetries);
        Assert.Equal(2, server.AcceptedCount);
        AssertSettled(pool, expectedOpen: 1);
        DisposeAndAssertClosed(pool);
    }

    /// <summary>A port that refuses connections: bound, not listening, and held so nobody else takes it.</summary>
    private static Socket BindWithoutListening()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    [Fact]
    public async Task Pool_ConnectionRefusedWhileStarting_IsRetriedUntilTheServerListens()
    {
        Socket bound = BindWithoutListening();
        var pool = CreatePool(bound.LocalEndPoint!);

        ValueTask<Http1Response> init = pool.PostAsync("/init", "{\"value\":{}}", LongTimeout, retryConnectRefused: true);
        await Eventually.True(() => pool.Counters.ConnectRefusals >= 2, "two connection attempts were refused");
        await using var server = LoopbackServer.Start(bound, LoopbackServer.Serve((c, r) => Ok("{\"OK\":true}")));

        using Http1Response response = await init;

        Assert.Equal(Http1Outcome.Ok, response.Outcome);
        Assert.Equal("{\"OK\":true}", response.BodyText());
        AssertSettled(pool, expectedOpen: 1);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Pool_ConnectionRefusedWithoutRetry_ReturnsRefusedAfterOneAttempt()
    {
        using Socket bound = BindWithoutListening();
        var pool = CreatePool(bound.LocalEndPoint!);

        using Http1Response response = await pool.PostAsync("/run", "{}");

        Assert.Equal(Http1Outcome.ConnectRefused, response.Outcome);
        Assert.Equal(SocketError.ConnectionRefused, response.SocketError);
        Assert.Equal(1, pool.Counters.ConnectRefusals);
        AssertSettled(pool, expectedOpen: 0);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Pool_ConnectionRefusedUntilTheDeadline_ReturnsRefused()
    {
        using Socket bound = BindWithoutListening();
        var pool = CreatePool(bound.LocalEndPoint!);

        using Http1Response response = await pool.PostAsync("/init", "{}", TimeSpan.FromSeconds(1), retryConnectRefused: true);

        Assert.Equal(Http1Outcome.ConnectRefused, response.Outcome);
        Assert.True(pool.Counters.ConnectRefusals >= 1);
        AssertSettled(pool, expectedOpen: 0);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Pool_DeadlinePassesWhileWaitingForTheResponse_ReturnsTimeoutAndClosesTheConnection()
    {
        var closed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = LoopbackServer.Start(async c =>
        {
            await c.ReadRequestAsync();
            closed.SetResult(await c.WaitForClientCloseAsync());
        });
        var pool = CreatePool(server.EndPoint);

        using Http1Response response = await pool.PostAsync("/run", "{}", TimeSpan.FromMilliseconds(200));

        Assert.Equal(Http1Outcome.Timeout, response.Outcome);
        AssertSettled(pool, expectedOpen: 0);
        Assert.True(await closed.Task);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Pool_CallerCancelsWhileWaitingForTheResponse_ReturnsCanceledAndClosesTheConnection()
    {
        var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var closed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = LoopbackServer.Start(async c =>
        {
            await c.ReadRequestAsync();
            received.SetResult();
            closed.SetResult(await c.WaitForClientCloseAsync());
        });
        var pool = CreatePool(server.EndPoint);
        using var cts = new CancellationTokenSource();

        ValueTask<Http1Response> pending = pool.PostAsync("/run", "{}", LongTimeout, cancellationToken: cts.Token);
        await received.Task;
        await cts.CancelAsync();
        using Http1Response response = await pending;

        Assert.Equal(Http1Outcome.Canceled, response.Outcome);
        AssertSettled(pool, expectedOpen: 0);
        Assert.True(await closed.Task);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Pool_TokenAlreadyCanceled_ReturnsCanceledAndKeepsTheIdleConnection()
    {
        await using var server = LoopbackServer.Start(LoopbackServer.Serve((c, r) => Ok("{}")));
        var pool = CreatePool(server.EndPoint);
        (await pool.PostAsync("/run", "{}")).Dispose();

        using Http1Response response = await pool.PostAsync("/run", "{}", cancellationToken: new CancellationToken(canceled: true));

        Assert.Equal(Http1Outcome.Canceled, response.Outcome);
        AssertSettled(pool, expectedOpen: 1);
        Assert.Equal(1, server.Connections[0].RequestCount);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Pool_DeadlinePassesWhileQueued_ReturnsTimeoutAndLeavesTheQueue()
    {
        await using var server = new GatedServer();
        server.Gate("busy");
        var pool = CreatePool(server.Server.EndPoint, maxConnections: 1);
        Task<int> busy = ConnectionIdOf(pool.PostAsync("/run", "busy"));
        await Eventually.True(() => server.Pending == 1, "the first request is at the server");

        using (Http1Response queued = await pool.PostAsync("/run", "queued", TimeSpan.FromMilliseconds(100)))
        {
            Assert.Equal(Http1Outcome.Timeout, queued.Outcome);
        }

        Http1PoolCounters whileBusy = pool.Counters;
        Assert.Equal(0, whileBusy.Waiters);
        Assert.Equal(1, whileBusy.BusyConnections);
        server.Open("busy");
        Assert.Equal(1, await busy);
        Assert.Equal(1, await ConnectionIdOf(pool.PostAsync("/run", "after")));
        Assert.Equal(["busy", "after"], server.ReceivedBodies);
        AssertSettled(pool, expectedOpen: 1);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Pool_CallerCancelsWhileQueued_ReturnsCanceledAndLeavesTheQueue()
    {
        await using var server = new GatedServer();
        server.Gate("busy");
        var pool = CreatePool(server.Server.EndPoint, maxConnections: 1);
        Task<int> busy = ConnectionIdOf(pool.PostAsync("/run", "busy"));
        await Eventually.True(() => server.Pending == 1, "the first request is at the server");
        using var cts = new CancellationTokenSource();

        ValueTask<Http1Response> queued = pool.PostAsync("/run", "queued", LongTimeout, cancellationToken: cts.Token);
        Task<int> behind = ConnectionIdOf(pool.PostAsync("/run", "behind"));
        await Eventually.True(() => pool.Counters.Waiters == 2, "two requests wait");
        await cts.CancelAsync();
        using (Http1Response canceled = await queued)
        {
            Assert.Equal(Http1Outcome.Canceled, canceled.Outcome);
        }

        Assert.Equal(1, pool.Counters.Waiters);
        server.Open("busy");
        await Task.WhenAll(busy, behind);
        Assert.Equal(["busy", "behind"], server.ReceivedBodies);
        AssertSettled(pool, expectedOpen: 1);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Pool_Dispose_FailsWaitersAbortsBusyConnectionsAndRefusesNewRequests()
    {
        await using var server = new GatedServer();
        server.Gate("busy");
        var pool = CreatePool(server.Server.EndPoint, maxConnections: 1);
        ValueTask<Http1Response> busy = pool.PostAsync("/run", "busy");
        await Eventually.True(() => server.Pending == 1, "the first request is at the server");
        ValueTask<Http1Response> queued = pool.PostAsync("/run", "queued");
        await Eventually.True(() => pool.Counters.Waiters == 1, "a request waits");

        pool.Dispose();

        using (Http1Response waiter = await queued)
        {
            Assert.Equal(Http1Outcome.PoolDisposed, waiter.Outcome);
        }

        using (Http1Response aborted = await busy)
        {
            Assert.Equal(Http1Outcome.PoolDisposed, aborted.Outcome);
        }

        using (Http1Response late = await pool.PostAsync("/run", "late"))
        {
            Assert.Equal(Http1Outcome.PoolDisposed, late.Outcome);
        }

        Http1PoolCounters counters = pool.Counters;
        Assert.Equal(0, counters.OpenConnections);
        Assert.Equal(0, counters.Waiters);
        Assert.Equal(counters.ConnectionsOpened, counters.ConnectionsClosed);
    }

    [Fact]
    public async Task Pool_TwoHundredConcurrentRequests_AllSucceedOnAtMostTwoHundredConnections()
    {
        await using var server = LoopbackServer.Start(LoopbackServer.Serve((c, r) => Ok("{\"echo\":" + r.BodyText + "}")));
        var pool = CreatePool(server.EndPoint, maxConnections: 200);
        Http1RequestHead run = pool.CreatePostHead("/run");

        async Task<string> Send(int i)
        {
            using Http1Response response = await pool.PostAsync(run, static (body, n) =>
            {
                Span<byte> span = body.GetSpan(32);
                int written = Encoding.ASCII.GetBytes($"{{\"i\":{n}}}", span);
                body.Advance(written);
            }, i, LongTimeout);
            Assert.Equal(Http1Outcome.Ok, response.Outcome);
            return response.BodyText();
        }

        string[] bodies = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() => Send(i))));

        for (int i = 0; i < 200; i++)
        {
            Assert.Equal($"{{\"echo\":{{\"i\":{i}}}}}", bodies[i]);
        }

        Http1PoolCounters counters = pool.Counters;
        Assert.InRange(counters.OpenConnections, 1, 200);
        Assert.InRange(server.AcceptedCount, 1, 200);
        AssertSettled(pool, expectedOpen: counters.OpenConnections);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Pool_LargeBodyWrittenThroughTheBufferWriter_IsSentWhole()
    {
        await using var server = LoopbackServer.Start(LoopbackServer.Serve((c, r) => Ok("{\"length\":" + r.Body.Length + ",\"last\":" + r.Body[^1] + "}")));
        var pool = CreatePool(server.EndPoint);
        Http1RequestHead run = pool.CreatePostHead("/run");

        for (int round = 0; round < 2; round++)
        {
            using Http1Response response = await pool.PostAsync(run, static (body, size) =>
            {
                // Many small writes, as a JSON writer makes them, past the buffer's first size.
                for (int written = 0; written < size;)
                {
                    Span<byte> span = body.GetSpan(1);
                    int n = Math.Min(span.Length, Math.Min(1000, size - written));
                    span[..n].Fill((byte)'7');
                    body.Advance(n);
                    written += n;
                }
            }, 300_000, LongTimeout);

            Assert.Equal("{\"length\":300000,\"last\":55}", response.BodyText());
        }

        AssertSettled(pool, expectedOpen: 1);
        DisposeAndAssertClosed(pool);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Pool_ResponsesLargerThanAReadBlock_AreReadWhole(bool chunked)
    {
        string big = "{\"result\":\"" + string.Concat(Enumerable.Range(0, 20_000).Select(i => (char)('a' + (i % 26)))) + "\"}";
        await using var server = LoopbackServer.Start(LoopbackServer.Serve((c, r) => chunked
            ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + string.Concat(big.Chunk(7000).Select(part => $"{part.Length:X}\r\n{new string(part)}\r\n")) + "0\r\n\r\n"
            : Ok(big)));
        var pool = CreatePool(server.EndPoint);

        for (int i = 0; i < 3; i++)
        {
            using Http1Response response = await pool.PostAsync("/run", "{}");
            Assert.Equal(Http1Outcome.Ok, response.Outcome);
            Assert.False(response.IsBodyTruncated);
            Assert.Equal(big, response.BodyText());
        }

        Assert.Equal(1, server.AcceptedCount);
        AssertSettled(pool, expectedOpen: 1);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Pool_BodyWriterThrows_PropagatesAndLeavesThePoolAsItWas()
    {
        await using var server = LoopbackServer.Start(LoopbackServer.Serve((c, r) => Ok("{}")));
        var pool = CreatePool(server.EndPoint);
        Http1RequestHead run = pool.CreatePostHead("/run");
        (await pool.PostAsync(run, "{}"u8, LongTimeout)).Dispose();

        Assert.Throws<FormatException>(() => pool.PostAsync(run, static (body, _) => throw new FormatException("bad model"), 0, LongTimeout));

        using Http1Response after = await pool.PostAsync(run, "{}"u8, LongTimeout);
        Assert.Equal(Http1Outcome.Ok, after.Outcome);
        Assert.Equal(2, server.Connections[0].RequestCount);
        AssertSettled(pool, expectedOpen: 1);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Response_DisposedTwiceOrReadAfterDispose_GivesTheBodyBackOnce()
    {
        await using var server = LoopbackServer.Start(LoopbackServer.Serve((c, r) => Ok("{\"body\":" + r.BodyText + "}")));
        var pool = CreatePool(server.EndPoint);

        Http1Response first = await pool.PostAsync("/run", "1");
        Http1Response copy = first;
        first.Dispose();
        copy.Dispose();
        Assert.Throws<ObjectDisposedException>(() => copy.Body);

        // The exchange went back to the pool once: the next response owns it, and the stale copy cannot touch it.
        using Http1Response second = await pool.PostAsync("/run", "2");
        copy.Dispose();
        Assert.Equal("{\"body\":2}", second.BodyText());
        AssertSettled(pool, expectedOpen: 1);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public void Pool_ProgrammerErrors_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CreatePool(new IPEndPoint(IPAddress.Loopback, 1), maxConnections: 0));
        Assert.Throws<ArgumentException>(() => new Http1ConnectionPool(new Http1ConnectionPoolOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 1), Host = "a\r\nX-Injected: 1" }));
        Assert.Throws<ArgumentException>(() => new Http1ConnectionPool(new Http1ConnectionPoolOptions { EndPoint = new DnsEndPoint("localhost", 1) }));
        using var pool = CreatePool(new IPEndPoint(IPAddress.Loopback, 1));
        using var other = CreatePool(new IPEndPoint(IPAddress.Loopback, 1));
        Assert.Throws<ArgumentException>(() => pool.CreatePostHead("run"));
        Assert.Throws<ArgumentException>(() => pool.CreatePostHead("/a b"));
        Assert.Throws<ArgumentException>(() => pool.PostAsync(other.CreatePostHead("/run"), "{}"u8, LongTimeout));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.PostAsync(pool.CreatePostHead("/run"), "{}"u8, TimeSpan.Zero));
    }
}
