using System.Net;
using System.Net.Sockets;

namespace Perf.Invoker.Http;

/// <summary>Settings of one <see cref="Http1ConnectionPool"/>: one container endpoint, at most <see cref="MaxConnections"/> connections.</summary>
public sealed class Http1ConnectionPoolOptions
{
    /// <summary>The container's endpoint: an <see cref="IPEndPoint"/> or a <see cref="UnixDomainSocketEndPoint"/>.</summary>
    public required EndPoint EndPoint { get; init; }

    /// <summary>Host field of every request; defaults to the endpoint's address and port (TCP) or "localhost" (Unix socket).</summary>
    public string? Host { get; init; }

    /// <summary>Most connections open at once: the container's concurrency (docs/openwhisk.md §5). Further requests wait in FIFO order.</summary>
    public int MaxConnections { get; init; } = 1;

    /// <summary>How long one connection attempt may take; <see cref="Timeout.InfiniteTimeSpan"/> for the request deadline alone.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Pause between connection attempts when a request asked to retry refused connections (docs/openwhisk.md §5: ~50 ms).</summary>
    public TimeSpan ConnectRetryInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Cap on a response's status line and fields (and its trailer section); past it the result is <see cref="Http1Outcome.HeadersTooLarge"/>.</summary>
    public int MaxResponseHeadersLength { get; init; } = 64 * 1024;

    /// <summary>Cap on the response body kept; past it the body is truncated and the response says so (docs/openwhisk.md §5: 1 MiB).</summary>
    public int MaxResponseBodyLength { get; init; } = 1024 * 1024;

    /// <summary>Request and response buffers up to this size stay with the pool between requests; larger ones go back to the array pool.</summary>
    public int RetainedBufferSize { get; init; } = 128 * 1024;

    internal void Validate()
    {
        if (EndPoint is not (IPEndPoint or UnixDomainSocketEndPoint))
        {
            Http1UsageErrors.ThrowArgumentException("The endpoint must be an IPEndPoint or a UnixDomainSocketEndPoint.", nameof(EndPoint));
        }

        if (Host is not null && (Host.Length == 0 || Host.AsSpan().ContainsAnyExceptInRange('!', '~')))
        {
            Http1UsageErrors.ThrowArgumentException("The Host field must be visible ASCII without spaces.", nameof(Host));
        }

        if (MaxConnections < 1)
        {
            Http1UsageErrors.ThrowArgumentOutOfRangeException(nameof(MaxConnections), "A pool needs at least one connection.");
        }

        if (ConnectTimeout <= TimeSpan.Zero && ConnectTimeout != Timeout.InfiniteTimeSpan)
        {
            Http1UsageErrors.ThrowArgumentOutOfRangeException(nameof(ConnectTimeout), "The connect timeout must be positive or infinite.");
        }

        if (ConnectRetryInterval <= TimeSpan.Zero)
        {
            Http1UsageErrors.ThrowArgumentOutOfRangeException(nameof(ConnectRetryInterval), "The retry interval must be positive.");
        }

        if (MaxResponseHeadersLength < 16 || MaxResponseBodyLength < 0 || RetainedBufferSize < 0)
        {
            Http1UsageErrors.ThrowArgumentOutOfRangeException(nameof(MaxResponseHeadersLength), "Limits must be positive.");
        }
    }

    internal string GetHost() => Host ?? EndPoint switch
    {
        IPEndPoint ip => ip.ToString(),
        _ => "localhost",
    };
}
