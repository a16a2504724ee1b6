using System.Buffers;
using System.Net;
using System.Text;
using Perf.Invoker.Http;

namespace Perf.Invoker.Tests.Http;

internal static class HttpTestSupport
{
    public static readonly TimeSpan LongTimeout = TimeSpan.FromSeconds(30);

    public static string Ok(string body, string extraFields = "") =>
        $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{extraFields}Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";

    public static Http1ConnectionPool CreatePool(EndPoint endPoint, int maxConnections = 1, int maxBody = 1024 * 1024, int maxHeaders = 64 * 1024) =>
        new(new Http1ConnectionPoolOptions
        {
            EndPoint = endPoint,
            MaxConnections = maxConnections,
            MaxResponseBodyLength = maxBody,
            MaxResponseHeadersLength = maxHeaders,
            ConnectTimeout = LongTimeout,
        });

    public static ValueTask<Http1Response> PostAsync(this Http1ConnectionPool pool, string path, string body, TimeSpan? timeout = null,
        bool retryConnectRefused = false, CancellationToken cancellationToken = default) =>
        pool.PostAsync(pool.CreatePostHead(path), Encoding.UTF8.GetBytes(body), timeout ?? LongTimeout, retryConnectRefused, cancellationToken);

    public static string BodyText(this Http1Response response) => Encoding.UTF8.GetString(response.Body.Span);

    /// <summary>
    /// The pool's books balance with nothing in flight: no request holds a connection or waits, every open
    /// connection is idle, and every connection ever opened is either idle or was closed.
    /// </summary>
    public static void AssertSettled(Http1ConnectionPool pool, int expectedOpen)
    {
        Http1PoolCounters c = pool.Counters;
        Assert.Equal(0, c.BusyConnections);
        Assert.Equal(0, c.Waiters);
        Assert.Equal(expectedOpen, c.OpenConnections);
        Assert.Equal(expectedOpen, c.IdleConnections);
        Assert.Equal(c.OpenConnections, c.ConnectionsOpened - c.ConnectionsClosed);
    }

    /// <summary>Disposes the pool and checks that it closed everything it opened.</summary>
    public static void DisposeAndAssertClosed(Http1ConnectionPool pool)
    {
        pool.Dispose();
        Http1PoolCounters c = pool.Counters;
        Assert.Equal(0, c.OpenConnections);
        Assert.Equal(0, c.Waiters);
        Assert.Equal(c.ConnectionsOpened, c.ConnectionsClosed);
    }

    /// <summary>A sequence over the given pieces, one segment each (empty pieces make empty segments).</summary>
    public static ReadOnlySequence<byte> Sequence(params byte[][] pieces)
    {
        if (pieces.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        if (pieces.Length == 1)
        {
            return new ReadOnlySequence<byte>(pieces[0]);
        }

        var first = new Segment(pieces[0], 0);
        Segment last = first;
        for (int i = 1; i < pieces.Length; i++)
        {
            last = last.Append(pieces[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
