namespace Perf.Invoker.Http;

/// <summary>What <see cref="Http1ResponseParser.Parse"/> made of the bytes it was given.</summary>
internal enum Http1ParseStatus : byte
{
    /// <summary>The bytes end inside an element (a head, a chunk-size line, a CRLF, a trailer section); nothing of it was consumed.</summary>
    NeedMoreData,

    /// <summary>The response is complete, or its body reached the cap; bytes after <c>consumed</c> belong to no response of ours.</summary>
    Complete,

    /// <summary>The bytes broke HTTP/1.1 framing.</summary>
    Malformed,

    /// <summary>A head or trailer section passed the size cap before it ended.</summary>
    HeadersTooLarge,
}
