using System.Net.Sockets;
using System.Text;
using Perf.Invoker.Http;
using static Perf.Invoker.Tests.Http.HttpTestSupport;

namespace Perf.Invoker.Tests.Http;

/// <summary>
/// A loopback server that misbehaves on purpose. Each case checks the documented outcome and that the
/// pool's books balance afterwards: the connection is pooled only when it can carry another request,
/// and torn-down connections are really closed (the server sees the close).
/// </summary>
[Trait("Category", "Unit")]
public sealed class Http1ServerFaultTests
{
    [Fact]
    public async Task Post_ServerClosesMidResponse_ReturnsClosedDuringResponseAndDropsConnection()
    {
        await using var server = LoopbackServer.Start(async c =>
        {
            await c.ReadRequestAsync();
            await c.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{\"a\"");
            c.Close();
        });
        var pool = CreatePool(server.EndPoint);

        using Http1Response response = await pool.PostAsync("/run", "{}");

        Assert.Equal(Http1Outcome.ConnectionClosedDuringResponse, response.Outcome);
        Assert.Equal(0, response.StatusCode);
        Assert.True(response.Body.IsEmpty);
        AssertSettled(pool, expectedOpen: 0);
        Assert.Equal(0, pool.Counters.StaleRetries);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Post_ServerClosesBeforeResponseOnFreshConnection_ReturnsClosedBeforeResponseWithoutRetry()
    {
        await using var server = LoopbackServer.Start(async c =>
        {
            await c.ReadRequestAsync();
            c.Close();
        });
        var pool = CreatePool(server.EndPoint);

        using Http1Response response = await pool.PostAsync("/run", "{}");

        Assert.Equal(Http1Outcome.ConnectionClosedBeforeResponse, response.Outcome);
        AssertSettled(pool, expectedOpen: 0);
        Assert.Equal(1, server.AcceptedCount);
        Assert.Equal(0, pool.Counters.StaleRetries);
        DisposeAndAssertClosed(pool);
    }

    [Theory]
    [InlineData("garbage\r\n\r\n")]
    [InlineData("HTTP/1.1 2OO OK\r\nContent-Length: 2\r\n\r\n{}")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}")]
    public async Task Post_GarbageStatusLineOrFraming_ReturnsMalformedAndClosesConnection(string reply)
    {
        var closed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = LoopbackServer.Start(async c =>
        {
            await c.ReadRequestAsync();
            await c.SendAsync(reply);
            closed.SetResult(await c.WaitForClientCloseAsync());
        });
        var pool = CreatePool(server.EndPoint);

        using Http1Response response = await pool.PostAsync("/run", "{}");

        Assert.Equal(Http1Outcome.MalformedResponse, response.Outcome);
        AssertSettled(pool, expectedOpen: 0);
        Assert.True(await closed.Task);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Post_NonHttpBytesThenClose_ReturnsClosedDuringResponse()
    {
        await using var server = LoopbackServer.Start(async c =>
        {
            await c.ReadRequestAsync();
            await c.SendAsync("SSH-2.0-OpenSSH_9.2\r\n");
            c.Close();
        });
        var pool = CreatePool(server.EndPoint);

        using Http1Response response = await pool.PostAsync("/run", "{}");

        Assert.Equal(Http1Outcome.ConnectionClosedDuringResponse, response.Outcome);
        AssertSettled(pool, expectedOpen: 0);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Post_ChunkedWithExtensionsAndTrailers_ReturnsBodyAndReusesConnection()
    {
        await using var server = LoopbackServer.Start(LoopbackServer.Serve((c, r) =>
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
            "6;ext=\"a;b\"\r\n{\"echo\r\n" + $"{r.Body.Length + 3:x}\r\n\":{r.BodyText}}}\r\n" +
            "0;final\r\nX-Trailer: yes\r\n\r\n"));
        var pool = CreatePool(server.EndPoint);

        for (int i = 0; i < 3; i++)
        {
            using Http1Response response = await pool.PostAsync("/run", $"[{i}]");
            Assert.Equal(Http1Outcome.Ok, response.Outcome);
            Assert.Equal(200, response.StatusCode);
            Assert.Equal($"{{\"echo\":[{i}]}}", response.BodyText());
            Assert.Equal(-1, response.ContentLength);
            AssertSettled(pool, expectedOpen: 1);
        }

        Assert.Equal(1, server.AcceptedCount);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Post_SlowHeadersDribbledOneByteAtATime_ReturnsBody()
    {
        await using var server = LoopbackServer.Start(async c =>
        {
            while (await c.ReadRequestAsync() is not null)
            {
                await c.DribbleAsync(Ok("{\"slow\":true}", "X-Dribble: one byte at a time\r\n"));
            }
        });
        var pool = CreatePool(server.EndPoint);

        using Http1Response response = await pool.PostAsync("/run", "{}");

        Assert.Equal(Http1Outcome.Ok, response.Outcome);
        Assert.Equal("{\"slow\":true}", response.BodyText());
        AssertSettled(pool, expectedOpen: 1);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Post_OversizedContentLengthBody_IsTruncatedAndReportsTheRealLength()
    {
        string big = "{\"result\":\"" + new string('x', 5000) + "\"}";
        await using var server = LoopbackServer.Start(async c =>
        {
            await c.ReadRequestAsync();
            await c.SendAsync(Ok(big));
            await c.WaitForClientCloseAsync();
        });
        var pool = CreatePool(server.EndPoint, maxBody: 1024);

        using Http1Response response = await pool.PostAsync("/run", "{}");

        Assert.Equal(Http1Outcome.Ok, response.Outcome);
        Assert.Equal(200, response.StatusCode);
        Assert.True(response.IsBodyTruncated);
        Assert.Equal(big.Length, response.ContentLength);
        Assert.Equal(big[..1024], response.BodyText());
        AssertSettled(pool, expectedOpen: 0);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Post_OversizedChunkedBody_IsTruncatedAndSaysThereWasMore()
    {
        await using var server = LoopbackServer.Start(async c =>
        {
            await c.ReadRequestAsync();
            await c.SendAsync("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
            for (int i = 0; i < 8; i++)
            {
                await c.SendAsync("100\r\n" + new string((char)('a' + i), 256) + "\r\n");
            }

            await c.SendAsync("0\r\n\r\n");
            await c.WaitForClientCloseAsync();
        });
        var pool = CreatePool(server.EndPoint, maxBody: 1000);

        using Http1Response response = await pool.PostAsync("/run", "{}");

        Assert.Equal(Http1Outcome.Ok, response.Outcome);
        Assert.True(response.IsBodyTruncated);
        Assert.Equal(-1, response.ContentLength);
        Assert.Equal(1000, response.Body.Length);
        Assert.Equal(new string('a', 256) + new string('b', 256) + new string('c', 256) + new string('d', 232), response.BodyText());
        AssertSettled(pool, expectedOpen: 0);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Post_OversizedHeaders_ReturnsHeadersTooLargeAndClosesConnection()
    {
        var closed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = LoopbackServer.Start(async c =>
        {
            await c.ReadRequestAsync();
            await c.SendAsync("HTTP/1.1 200 OK\r\n");
            for (int i = 0; i < 100; i++)
            {
                await c.SendAsync($"X-Filler-{i}: {new string('f', 1000)}\r\n");
            }

            closed.SetResult(await c.WaitForClientCloseAsync());
        });
        var pool = CreatePool(server.EndPoint, maxHeaders: 16 * 1024);

        using Http1Response response = await pool.PostAsync("/run", "{}");

        Assert.Equal(Http1Outcome.HeadersTooLarge, response.Outcome);
        AssertSettled(pool, expectedOpen: 0);
        Assert.True(await closed.Task);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Post_ConnectionResetBeforeResponse_ReturnsClosedBeforeResponse()
    {
        await using var server = LoopbackServer.Start(async c =>
        {
            await c.ReadRequestAsync();
            c.Reset();
        });
        var pool = CreatePool(server.EndPoint);

        using Http1Response response = await pool.PostAsync("/run", "{}");

        Assert.Equal(Http1Outcome.ConnectionClosedBeforeResponse, response.Outcome);
        AssertSettled(pool, expectedOpen: 0);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Post_ConnectionResetMidBody_ReturnsClosedDuringResponse()
    {
        await using var server = LoopbackServer.Start(async c =>
        {
            await c.ReadRequestAsync();
            await c.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"partial\":");
            c.Reset();
        });
        var pool = CreatePool(server.EndPoint);

        using Http1Response response = await pool.PostAsync("/run", "{}");

        // A reset may discard the bytes that were in flight, so the reply may look like it never started.
        Assert.True(response.Outcome is Http1Outcome.ConnectionClosedDuringResponse or Http1Outcome.ConnectionClosedBeforeResponse, response.Outcome.ToString());
        AssertSettled(pool, expectedOpen: 0);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Post_ConnectionCloseField_ReturnsBodyAndClosesConnection()
    {
        var closed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = LoopbackServer.Start(async c =>
        {
            await c.ReadRequestAsync();
            await c.SendAsync(Ok("{\"bye\":1}", "Connection: close\r\n"));
            closed.SetResult(await c.WaitForClientCloseAsync());
        });
        var pool = CreatePool(server.EndPoint);

        using Http1Response response = await pool.PostAsync("/run", "{}");

        Assert.Equal(Http1Outcome.Ok, response.Outcome);
        Assert.Equal("{\"bye\":1}", response.BodyText());
        AssertSettled(pool, expectedOpen: 0);
        Assert.True(await closed.Task);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Post_CloseDelimitedBody_ReadsUntilTheServerCloses()
    {
        await using var server = LoopbackServer.Start(async c =>
        {
            await c.ReadRequestAsync();
            await c.SendAsync("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"until\":");
            await c.SendAsync("\"close\"}");
            c.Close();
        });
        var pool = CreatePool(server.EndPoint);

        using Http1Response response = await pool.PostAsync("/run", "{}");

        Assert.Equal(Http1Outcome.Ok, response.Outcome);
        Assert.Equal("{\"until\":\"close\"}", response.BodyText());
        Assert.Equal(-1, response.ContentLength);
        AssertSettled(pool, expectedOpen: 0);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Post_LeftoverBytesAfterResponse_ConnectionIsNotReused()
    {
        await using var server = LoopbackServer.Start(async c =>
        {
            await c.ReadRequestAsync();
            await c.SendAsync(Ok("{\"n\":" + c.Id + "}") + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
            await c.WaitForClientCloseAsync();
        });
        var pool = CreatePool(server.EndPoint);

        using (Http1Response first = await pool.PostAsync("/run", "{}"))
        {
            Assert.Equal(Http1Outcome.Ok, first.Outcome);
            Assert.Equal("{\"n\":1}", first.BodyText());
            AssertSettled(pool, expectedOpen: 0);
        }

        using Http1Response second = await pool.PostAsync("/run", "{}");
        Assert.Equal("{\"n\":2}", second.BodyText());
        Assert.Equal(2, server.AcceptedCount);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Post_ContentLengthAndChunked_TransferEncodingWinsAndConnectionIsNotReused()
    {
        await using var server = LoopbackServer.Start(async c =>
        {
            await c.ReadRequestAsync();
            await c.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
            await c.WaitForClientCloseAsync();
        });
        var pool = CreatePool(server.EndPoint);

        using Http1Response response = await pool.PostAsync("/run", "{}");

        Assert.Equal(Http1Outcome.Ok, response.Outcome);
        Assert.Equal("hello", response.BodyText());
        AssertSettled(pool, expectedOpen: 0);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Post_InterimContinueBeforeFinalResponse_ReturnsTheFinalResponse()
    {
        await using var server = LoopbackServer.Start(LoopbackServer.Serve((c, r) => "HTTP/1.1 100 Continue\r\n\r\n" + Ok("{\"final\":true}")));
        var pool = CreatePool(server.EndPoint);

        using Http1Response response = await pool.PostAsync("/run", "{}");

        Assert.Equal(Http1Outcome.Ok, response.Outcome);
        Assert.Equal(200, response.StatusCode);
        Assert.Equal("{\"final\":true}", response.BodyText());
        AssertSettled(pool, expectedOpen: 1);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Post_ErrorStatusWithEmptyBody_ReturnsStatusAndReusesConnection()
    {
        await using var server = LoopbackServer.Start(LoopbackServer.Serve((c, r) => "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"));
        var pool = CreatePool(server.EndPoint);

        using Http1Response response = await pool.PostAsync("/init", "{}");

        Assert.Equal(Http1Outcome.Ok, response.Outcome);
        Assert.Equal(502, response.StatusCode);
        Assert.True(response.Body.IsEmpty);
        AssertSettled(pool, expectedOpen: 1);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Post_OverUnixDomainSocket_ReturnsBody()
    {
        string path = Path.Combine(Path.GetTempPath(), $"perf-invoker-{Guid.NewGuid():N}.sock");
        await using var server = LoopbackServer.StartUnix(path, LoopbackServer.Serve((c, r) => Ok("{\"unix\":" + r.BodyText + "}")));
        var pool = CreatePool(new UnixDomainSocketEndPoint(path));

        for (int i = 0; i < 2; i++)
        {
            using Http1Response response = await pool.PostAsync("/run", "[1]");
            Assert.Equal(Http1Outcome.Ok, response.Outcome);
            Assert.Equal("{\"unix\":[1]}", response.BodyText());
        }

        AssertSettled(pool, expectedOpen: 1);
        Assert.Equal(1, server.AcceptedCount);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Post_UnixSocketPathMissing_ReturnsRefused()
    {
        string path = Path.Combine(Path.GetTempPath(), $"perf-invoker-{Guid.NewGuid():N}.sock");
        var pool = CreatePool(new UnixDomainSocketEndPoint(path));

        using Http1Response response = await pool.PostAsync("/init", "{}");

        Assert.Equal(Http1Outcome.ConnectRefused, response.Outcome);
        AssertSettled(pool, expectedOpen: 0);
        DisposeAndAssertClosed(pool);
    }

    [Fact]
    public async Task Post_RequestOnTheWire_IsFramedWithHostTypeAndLength()
    {
        var seen = new TaskCompletionSource<ServerRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = LoopbackServer.Start(async c =>
        {
            ServerRequest request = (await c.ReadRequestAsync())!;
            seen.SetResult(request);
            await c.SendAsync(Ok("{}"));
        });
        var pool = CreatePool(server.EndPoint);
        Http1RequestHead run = pool.CreatePostHead("/run");

        using Http1Response response = await pool.PostAsync(run, static (body, value) =>
        {
            // What the invoker's JSON writer does: ask for a span, fill it, advance.
            Span<byte> span = body.GetSpan(64);
            int n = Encoding.UTF8.GetBytes($"{{\"value\":{value}}}", span);
            body.Advance(n);
        }, 42, LongTimeout);

        ServerRequest request = await seen.Task;
        Assert.Equal(Http1Outcome.Ok, response.Outcome);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/run", request.Path);
        Assert.Equal($"POST /run HTTP/1.1\r\nHost: {server.EndPoint}\r\nContent-Type: application/json\r\nContent-Length: 12", request.Head);
        Assert.Equal("{\"value\":42}", request.BodyText);
        DisposeAndAssertClosed(pool);
    }
}
