using System.Net.Sockets;

namespace Perf.Invoker.Http;

/// <summary>
/// The result of one request: an <see cref="Outcome"/>, and with <see cref="Http1Outcome.Ok"/> a status
/// code and a body. The body lives in pooled memory that stays valid until <see cref="Dispose"/>; dispose
/// every response once (later disposals of copies do nothing, and reading <see cref="Body"/> after the
/// first one throws).
/// </summary>
public readonly struct Http1Response : IDisposable
{
    /// <summary>The exchange whose buffer holds the body, or null when the body is empty (nothing to give back).</summary>
    private readonly Http1Exchange? _owner;

    /// <summary>The owner's version when this response was made; the body is readable while they match.</summary>
    private readonly int _version;

    private readonly int _bodyLength;

    internal Http1Response(Http1Exchange? owner, int version, Http1Outcome outcome, int statusCode, int bodyLength, long contentLength, bool isBodyTruncated, SocketError socketError)
    {
        _owner = owner;
        _version = version;
        _bodyLength = bodyLength;
        Outcome = outcome;
        StatusCode = statusCode;
        ContentLength = contentLength;
        IsBodyTruncated = isBodyTruncated;
        SocketError = socketError;
    }

    public Http1Outcome Outcome { get; }

    /// <summary>The status code of the final response; 0 unless <see cref="Outcome"/> is <see cref="Http1Outcome.Ok"/>.</summary>
    public int StatusCode { get; }

    /// <summary>
    /// The Content-Length the server declared, or -1 when it sent none (chunked or close-delimited). With
    /// <see cref="IsBodyTruncated"/> this is how long the body really was, when the server said so.
    /// </summary>
    public long ContentLength { get; }

    /// <summary>Whether the server sent more than MaxResponseBodyLength bytes of body; <see cref="Body"/> holds the first ones.</summary>
    public bool IsBodyTruncated { get; }

    /// <summary>The socket error behind a connect or transport failure, for diagnostics; Success otherwise.</summary>
    public SocketError SocketError { get; }

    /// <summary>The response body (de-chunked), valid until <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<byte> Body
    {
        get
        {
            if (_owner is null)
            {
                return default;
            }

            if (_owner.Version != _version)
            {
                Http1UsageErrors.ThrowResponseDisposed();
            }

            return _owner.ResponseBody.Array.AsMemory(0, _bodyLength);
        }
    }

    /// <summary>Whether this response keeps its exchange (for the body) until disposed.</summary>
    internal bool HoldsExchange => _owner is not null;

    /// <summary>The exchange version the response was made under.</summary>
    internal int ExchangeVersion => _version;

    /// <summary>Gives the body's memory back to the pool.</summary>
    public void Dispose() => _owner?.Release(_version);
}
