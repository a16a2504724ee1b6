using System.Buffers;
using System.Diagnostics;
using System.Text;
using Perf.Invoker.Buffers;

namespace Perf.Invoker.Http;

/// <summary>
/// Incremental parser for one HTTP/1.1 response (RFC 9112) to a POST. Heads, chunk-size lines, chunk
/// CRLFs and trailer sections are consumed whole or not at all; body octets are copied into the body
/// buffer as they arrive, up to the body cap, so the socket's buffers never hold a whole body.
/// A mutable struct: keep it in a field and call <see cref="Reset"/> before each response.
/// </summary>
internal partial struct Http1ResponseParser
{
    /// <summary>Longest chunk-size line accepted, extensions included (RFC 9112 §7.1.1); runtimes send none.</summary>
    internal const int MaxChunkLineLength = 4096;

    private static readonly SearchValues<byte> s_tokenChars =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    private enum State : byte
    {
        Head,
        FixedBody,
        ChunkLine,
        ChunkData,
        ChunkDataEnd,
        Trailers,
        BodyUntilClose,
        Done,
    }

    private readonly int _maxHeadLength;
    private readonly int _maxBodyLength;

    /// <summary>Where the parser is in the current response; only moves forward until <see cref="Reset"/>.</summary>
    private State _state;

    /// <summary>Body bytes still to copy: of a Content-Length body (already capped) or of the current chunk; ≥ 0.</summary>
    private long _remaining;

    /// <summary>Bytes of the unconsumed head or trailer section already searched for its end, so a dribbled head is scanned once.</summary>
    private long _scanned;

    /// <summary>Minor version of the current head: 0 for HTTP/1.0 (no reuse), 1 or more otherwise.</summary>
    private int _minorVersion;

    /// <summary>Whether the current head had a Transfer-Encoding field.</summary>
    private bool _hasTransferEncoding;

    /// <summary>Whether the last transfer coding of the current head is chunked; meaningful only with _hasTransferEncoding.</summary>
    private bool _chunkedIsLast;

    /// <summary>Whether a Connection field of the current head lists "close".</summary>
    private bool _connectionClose;

    /// <summary>Whether the field line just parsed is one whose value we read, so an obs-fold after it is refused.</summary>
    private bool _lastFieldSignificant;

    public Http1ResponseParser(int maxHeadLength, int maxBodyLength)
    {
        Debug.Assert(maxHeadLength > 0 && maxBodyLength >= 0, "limits are positive");
        _maxHeadLength = maxHeadLength;
        _maxBodyLength = maxBodyLength;
        Reset();
    }

    /// <summary>Status code of the final (non-1xx) response; 0 until its head is parsed.</summary>
    public int StatusCode { get; private set; }

    /// <summary>The Content-Length the server declared, or -1 (none, or overridden by Transfer-Encoding).</summary>
    public long ContentLength { get; private set; }

    /// <summary>Whether the connection may carry another request as far as this response goes (version, Connection, framing, truncation).</summary>
    public bool KeepAlive { get; private set; }

    /// <summary>Whether the body had more bytes than the cap; only the first cap bytes were copied.</summary>
    public bool IsBodyTruncated { get; private set; }

    /// <summary>Whether the response is complete (or its body hit the cap); later bytes are not ours.</summary>
    public readonly bool IsComplete => _state == State.Done;

    public void Reset()
    {
        _state = State.Head;
        _remaining = 0;
        _scanned = 0;
        IsBodyTruncated = false;
        ResetHead();
    }

    /// <summary>
    /// Parses what it can of <paramref name="buffer"/>, which starts where the last call's <paramref name="consumed"/> ended.
    /// Pass <paramref name="isCompleted"/> when the peer closed: it ends a close-delimited body.
    /// </summary>
    public Http1ParseStatus Parse(ReadOnlySequence<byte> buffer, bool isCompleted, PooledBufferWriter body, out SequencePosition consumed, out SequencePosition examined)
    {
        var reader = new SequenceReader<byte>(buffer);
        Http1ParseStatus status;
        while (true)
        {
            status = _state switch
            {
                State.Head => ParseHead(ref reader, body),
                State.FixedBody => ReadFixedBody(ref reader, body),
                State.ChunkLine => ParseChunkLine(ref reader),
                State.ChunkData => ReadChunkData(ref reader, body),
                State.ChunkDataEnd => ParseChunkDataEnd(ref reader),
                State.Trailers => ParseTrailers(ref reader),
                State.BodyUntilClose => ReadUntilClose(ref reader, isCompleted, body),
                _ => Http1ParseStatus.Complete,
            };

            // Complete from a step means "that element is done"; the response is done only in State.Done.
            if (status != Http1ParseStatus.Complete || _state == State.Done)
            {
                break;
            }
        }

        consumed = reader.Position;
        examined = status == Http1ParseStatus.NeedMoreData ? buffer.End : consumed;
        return status;
    }

    private void ResetHead()
    {
        StatusCode = 0;
        ContentLength = -1;
        KeepAlive = false;
        _minorVersion = 0;
        _hasTransferEncoding = false;
        _chunkedIsLast = false;
        _connectionClose = false;
        _lastFieldSignificant = false;
    }

    // ---- head -------------------------------------------------------------------------------------

    private Http1ParseStatus ParseHead(ref SequenceReader<byte> reader, PooledBufferWriter body)
    {
        ReadOnlySequence<byte> unread = reader.UnreadSequence;
        Http1ParseStatus found = FindSectionEnd(unread, out long headLength);
        if (found != Http1ParseStatus.Complete)
        {
            return found;
        }

        ReadOnlySequence<byte> head = unread.Slice(0, headLength);
        Http1ParseStatus status;
        if (head.IsSingleSegment)
        {
            status = ParseHeadBytes(head.FirstSpan);
        }
        else
        {
            // A head split across socket reads; rare, so a rented copy keeps the line parser span-based.
            byte[] copy = ArrayPool<byte>.Shared.Rent((int)headLength);
            head.CopyTo(copy);
            status = ParseHeadBytes(copy.AsSpan(0, (int)headLength));
            ArrayPool<byte>.Shared.Return(copy);
        }

        if (status != Http1ParseStatus.Complete)
        {
            return status;
        }

        reader.Advance(headLength);
        return ChooseFraming(body);
    }

    /// <summary>Finds the CRLF CRLF that ends a head or trailer section, resuming the search where the last call stopped.</summary>
    private Http1ParseStatus FindSectionEnd(ReadOnlySequence<byte> unread, out long length)
    {
        // Step back 3 bytes: the terminator may straddle the end of what was searched before.
        long from = Math.Max(0, _scanned - 3);
        long index = -1;
        if (unread.IsSingleSegment)
        {
            int i = unread.FirstSpan.Slice((int)from).IndexOf("\r\n\r\n"u8);
            index = i < 0 ? -1 : from + i;
        }
        else
        {
            var search = new SequenceReader<byte>(unread.Slice(from));
            if (search.TryReadTo(out ReadOnlySequence<byte> before, "\r\n\r\n"u8, advancePastDelimiter: false))
            {
                index = from + before.Length;
            }
        }

        if (index < 0)
        {
            _scanned = unread.Length;
            length = 0;
            return unread.Length > _maxHeadLength ? Http1ParseStatus.HeadersTooLarge : Http1ParseStatus.NeedMoreData;
        }

        length = index + 4;
        _scanned = 0;
        return length > _maxHeadLength ? Http1ParseStatus.HeadersTooLarge : Http1ParseStatus.Complete;
    }

    /// <summary>Parses a whole head, CRLF CRLF included: status line then field lines (RFC 9112 §4, §5).</summary>
    private Http1ParseStatus ParseHeadBytes(ReadOnlySpan<byte> head)
    {
        int lineEnd = head.IndexOf("\r\n"u8);
        if (!TryParseStatusLine(head.Slice(0, lineEnd)))
        {
            return Http1ParseStatus.Malformed;
        }

        head = head.Slice(lineEnd + 2);
        bool first = true;
        while ((lineEnd = head.IndexOf("\r\n"u8)) > 0)
        {
            if (!TryParseFieldLine(head.Slice(0, lineEnd), first))
            {
                return Http1ParseStatus.Malformed;
            }

            head = head.Slice(lineEnd + 2);
            first = false;
        }

        Debug.Assert(lineEnd == 0 && head.Length == 2, "the head ends at its first empty line");
        return Http1ParseStatus.Complete;
    }

    // RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]; the SP before an
    // empty reason is often left out, so "HTTP/1.1 200" is accepted too.
    private bool TryParseStatusLine(ReadOnlySpan<byte> line)
    {
        if (line.Length < 12 || !line.StartsWith("HTTP/1."u8) || !char.IsAsciiDigit((char)line[7]) || line[8] != (byte)' '
            || line[9] is < (byte)'1' or > (byte)'9' || !char.IsAsciiDigit((char)line[10]) || !char.IsAsciiDigit((char)line[11])
            || (line.Length > 12 && line[12] != (byte)' ')
            || line.IndexOfAny((byte)'\r', (byte)'\n', (byte)0) >= 0)
        {
            return false;
        }

        _minorVersion = line[7] - '0';
        StatusCode = ((line[9] - '0') * 100) + ((line[10] - '0') * 10) + (line[11] - '0');
        return true;
    }

    // RFC 9112 §5: field-line = field-name ":" OWS field-value OWS. Only the fields that frame the
    // message or end the connection are read; the rest are checked for syntax and skipped.
    private bool TryParseFieldLine(ReadOnlySpan<byte> line, bool first)
    {
        // RFC 9110 §5.5: CR, LF and NUL are invalid in field values.
        if (line.IndexOfAny((byte)'\r', (byte)'\n', (byte)0) >= 0)
        {
            return false;
        }

        // RFC 9112 §5.2: a user agent replaces an obs-fold by SP. We ignore folded lines of fields we do
        // not read and refuse them on fields that frame the message, where a fold could hide a second value.
        if (line[0] is (byte)' ' or (byte)'\t')
        {
            return !first && !_lastFieldSignificant;
        }

        int colon = line.IndexOf((byte)':');

        // RFC 9112 §5.1: no whitespace between the field name and the colon.
        if (colon <= 0 || line.Slice(0, colon).IndexOfAnyExcept(s_tokenChars) >= 0)
        {
            return false;
        }

        ReadOnlySpan<byte> name = line.Slice(0, colon);
        ReadOnlySpan<byte> value = line.Slice(colon + 1).Trim(" \t"u8);
        _lastFieldSignificant = true;
        if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
        {
            return TryReadContentLength(value);
        }

        if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
        {
            return TryReadTransferEncoding(value);
        }

        if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
        {
            ReadConnection(value);
            return true;
        }

        _lastFieldSignificant = false;
        return true;
    }

    // RFC 9110 §8.6: Content-Length = 1*DIGIT. A list or repeated field of identical values may be
    // accepted as that value; differing values are unrecoverable framing errors (RFC 9112 §6.3 rule 5).
    private bool TryReadContentLength(ReadOnlySpan<byte> value)
    {
        foreach (Range range in value.Split((byte)','))
        {
            ReadOnlySpan<byte> item = value[range].Trim(" \t"u8);
            if (item.IsEmpty)
            {
                return false;
            }

            long length = 0;
            foreach (byte b in item)
            {
                if (!char.IsAsciiDigit((char)b) || length > (long.MaxValue - 9) / 10)
                {
                    return false;
                }

                length = (length * 10) + (b - '0');
            }

            if (ContentLength >= 0 && ContentLength != length)
            {
                return false;
            }

            ContentLength = length;
        }

        return true;
    }

    // RFC 9112 §6.1: Transfer-Encoding is a list of codings; chunked, if present, must come last and once.
    private bool TryReadTransferEncoding(ReadOnlySpan<byte> value)
    {
        _hasTransferEncoding = true;
        foreach (Range range in value.Split((byte)','))
        {
            ReadOnlySpan<byte> coding = value[range].Trim(" \t"u8);
            if (coding.IsEmpty)
            {
                continue;
            }

            bool chunked = Ascii.EqualsIgnoreCase(coding, "chunked"u8);
            if (chunked && _chunkedIsLast)
            {
                return false;
            }

            _chunkedIsLast = chunked;
        }

        return true;
    }

    // RFC 9112 §9.6: "close" in Connection means the server closes after this response.
    private void ReadConnection(ReadOnlySpan<byte> value)
    {
        foreach (Range range in value.Split((byte)','))
        {
            if (Ascii.EqualsIgnoreCase(value[range].Trim(" \t"u8), "close"u8))
            {
                _connectionClose = true;
            }
        }
    }

    // RFC 9112 §6.3: how the body of a response to a POST is delimited, in the rule order of that section.
    private Http1ParseStatus ChooseFraming(PooledBufferWriter body)
    {
        int status = StatusCode;
        if (status < 200)
        {
            // RFC 9110 §15.2: interim responses precede the final one; 101 we never asked for.
            if (status == 101)
            {
                return Http1ParseStatus.Malformed;
            }

            ResetHead();
            return Http1ParseStatus.Complete;
        }

        KeepAlive = _minorVersion >= 1 && !_connectionClose;

        // Rule 1: 204 and 304 end at the head, whatever their fields say.
        if (status is 204 or 304)
        {
            _state = State.Done;
            return Http1ParseStatus.Complete;
        }

        if (_hasTransferEncoding)
        {
            // Rule 3: Transfer-Encoding overrides Content-Length; such a message may be an attempt at
            // response splitting, so the connection is not reused. §6.1: the same for an HTTP/1.0 message.
            if (ContentLength >= 0 || _minorVersion == 0)
            {
                KeepAlive = false;
            }

            ContentLength = -1;

            // Rule 4: a response whose final coding is not chunked is delimited by the close.
            _state = _chunkedIsLast ? State.ChunkLine : State.BodyUntilClose;
            KeepAlive &= _chunkedIsLast;
            return Http1ParseStatus.Complete;
        }

        if (ContentLength >= 0)
        {
            // Rule 6. Past the cap we copy the first bytes, report truncation and drop the connection
            // rather than drain a body nobody reads.
            _remaining = ContentLength;
            if (ContentLength > _maxBodyLength)
            {
                _remaining = _maxBodyLength;
                IsBodyTruncated = true;
                KeepAlive = false;
            }

            body.EnsureFree((int)_remaining);
            _state = _remaining == 0 ? State.Done : State.FixedBody;
            return Http1ParseStatus.Complete;
        }

        // Rule 8: no framing fields, the body runs until the server closes.
        KeepAlive = false;
        _state = State.BodyUntilClose;
        return Http1ParseStatus.Complete;
    }
}
