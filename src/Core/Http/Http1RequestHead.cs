using System.Buffers.Text;
using System.Diagnostics;
using System.Text;

namespace Perf.Invoker.Http;

/// <summary>
/// The pre-encoded head of a JSON POST to one path of one pool: request line, Host, Content-Type and
/// the Content-Length name (RFC 9112 §3, §6.2). Built once (<see cref="Http1ConnectionPool.CreatePostHead"/>)
/// and reused by every request, so framing a request costs a copy and a number format.
/// </summary>
public sealed class Http1RequestHead
{
    /// <summary>Widest Content-Length value: an int body length has at most 10 digits.</summary>
    private const int MaxLengthDigits = 10;

    private static ReadOnlySpan<byte> EndOfHead => "\r\n\r\n"u8;

    /// <summary>"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: "</summary>
    private readonly byte[] _prefix;

    internal Http1RequestHead(Http1ConnectionPool pool, string path, string host)
    {
        Pool = pool;
        Path = path;
        _prefix = Encoding.ASCII.GetBytes($"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: ");
    }

    /// <summary>The request target, e.g. "/run".</summary>
    public string Path { get; }

    internal Http1ConnectionPool Pool { get; }

    /// <summary>Room to reserve before the body: the longest head this can produce.</summary>
    internal int MaxLength => _prefix.Length + MaxLengthDigits + EndOfHead.Length;

    /// <summary>
    /// Writes the head for a body of <paramref name="bodyLength"/> bytes so that it ends exactly at
    /// <paramref name="bodyStart"/> in <paramref name="buffer"/>, and returns where it starts.
    /// </summary>
    internal int WriteBefore(Span<byte> buffer, int bodyStart, int bodyLength)
    {
        Debug.Assert(bodyStart >= MaxLength, "the caller reserved room for the head");
        int digits = CountDigits((uint)bodyLength);
        int start = bodyStart - (_prefix.Length + digits + EndOfHead.Length);
        Span<byte> head = buffer.Slice(start, bodyStart - start);
        _prefix.CopyTo(head);
        bool formatted = Utf8Formatter.TryFormat(bodyLength, head.Slice(_prefix.Length), out int written);
        Debug.Assert(formatted && written == digits, "the length fits the digits counted");
        EndOfHead.CopyTo(head.Slice(_prefix.Length + digits));
        return start;
    }

    internal static bool IsValidPath(string path)
    {
        // RFC 9112 §3.2.1 origin-form: absolute-path [ "?" query ]; visible ASCII, no spaces.
        if (path.Length == 0 || path[0] != '/')
        {
            return false;
        }

        foreach (char c in path)
        {
            if (c is <= ' ' or >= (char)0x7F)
            {
                return false;
            }
        }

        return true;
    }

    private static int CountDigits(uint value)
    {
        int digits = 1;
        while (value >= 10)
        {
            value /= 10;
            digits++;
        }

        return digits;
    }
}
