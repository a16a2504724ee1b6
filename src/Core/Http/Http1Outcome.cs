namespace Perf.Invoker.Http;

/// <summary>
/// How one exchange with an action container ended. Failure is normal here (a container that is still
/// starting, crashed or replies garbage), so it is a value, not an exception. Only <see cref="Ok"/>
/// carries a status code and a body.
/// </summary>
public enum Http1Outcome : byte
{
    /// <summary>A complete response arrived, whatever its status code. Its body may be truncated (<see cref="Http1Response.IsBodyTruncated"/>).</summary>
    Ok = 0,

    /// <summary>Nobody accepted the connection (ECONNREFUSED, or a Unix socket path that does not exist), after retries when they were asked for.</summary>
    ConnectRefused,

    /// <summary>The connection could not be opened for another reason; <see cref="Http1Response.SocketError"/> says which.</summary>
    ConnectFailed,

    /// <summary>The connection was not established within <see cref="Http1ConnectionPoolOptions.ConnectTimeout"/>.</summary>
    ConnectTimeout,

    /// <summary>The request deadline passed while waiting for a connection, sending or receiving. The connection was closed.</summary>
    Timeout,

    /// <summary>The caller's token was canceled. The connection was closed.</summary>
    Canceled,

    /// <summary>The connection closed or was reset before any byte of the response arrived.</summary>
    ConnectionClosedBeforeResponse,

    /// <summary>The connection closed or was reset after part of the response arrived.</summary>
    ConnectionClosedDuringResponse,

    /// <summary>The response broke HTTP/1.1 framing (status line, field syntax, Content-Length, chunk size). The connection was closed.</summary>
    MalformedResponse,

    /// <summary>The status line and fields (or the trailer section) passed <see cref="Http1ConnectionPoolOptions.MaxResponseHeadersLength"/>. The connection was closed.</summary>
    HeadersTooLarge,

    /// <summary>The pool was disposed before or during the exchange.</summary>
    PoolDisposed,
}
