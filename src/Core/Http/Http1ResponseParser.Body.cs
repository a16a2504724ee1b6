using System.Buffers;
using Perf.Invoker.Buffers;

namespace Perf.Invoker.Http;

/// <summary>Body framing of <see cref="Http1ResponseParser"/>: Content-Length, chunked (RFC 9112 §7.1) and close-delimited bodies, and the body cap.</summary>
internal partial struct Http1ResponseParser
{
    private Http1ParseStatus ReadFixedBody(ref SequenceReader<byte> reader, PooledBufferWriter body)
    {
        long count = Math.Min(_remaining, reader.Remaining);
        if (count == 0)
        {
            return Http1ParseStatus.NeedMoreData;
        }

        Append(ref reader, count, body);
        _remaining -= count;
        if (_remaining == 0)
        {
            _state = State.Done;
        }

        return Http1ParseStatus.Complete;
    }

    // RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF; last-chunk = 1*"0" [ chunk-ext ] CRLF.
    private Http1ParseStatus ParseChunkLine(ref SequenceReader<byte> reader)
    {
        SequenceReader<byte> line = reader;
        long size = 0;
        int digits = 0;
        while (line.TryPeek(out byte b) && HexValue(b) is int digit and >= 0)
        {
            if (size > (long.MaxValue >> 4))
            {
                return Http1ParseStatus.Malformed;
            }

            size = (size << 4) | (uint)digit;
            digits++;
            line.Advance(1);
        }

        if (!line.TryReadTo(out ReadOnlySequence<byte> rest, (byte)'\n'))
        {
            return reader.Remaining > MaxChunkLineLength ? Http1ParseStatus.Malformed : Http1ParseStatus.NeedMoreData;
        }

        if (digits == 0 || line.Consumed - reader.Consumed > MaxChunkLineLength || !IsChunkExtension(rest))
        {
            return Http1ParseStatus.Malformed;
        }

        reader = line;
        if (size == 0)
        {
            _state = State.Trailers;
        }
        else
        {
            _remaining = size;
            _state = State.ChunkData;
        }

        return Http1ParseStatus.Complete;
    }

    /// <summary>Whether what follows the chunk size up to LF is "[BWS ';' anything-but-CR] CR": extensions are accepted and ignored.</summary>
    private static bool IsChunkExtension(ReadOnlySequence<byte> rest)
    {
        var reader = new SequenceReader<byte>(rest);
        reader.AdvancePastAny((byte)' ', (byte)'\t');
        if (!reader.TryRead(out byte next))
        {
            return false;
        }

        if (next == (byte)'\r')
        {
            return reader.End;
        }

        return next == (byte)';' && reader.TryAdvanceTo((byte)'\r') && reader.End;
    }

    private Http1ParseStatus ReadChunkData(ref SequenceReader<byte> reader, PooledBufferWriter body)
    {
        long count = Math.Min(_remaining, reader.Remaining);
        if (count == 0)
        {
            return Http1ParseStatus.NeedMoreData;
        }

        if (!TakeWithinCap(ref count, body))
        {
            return Http1ParseStatus.Complete;
        }

        Append(ref reader, count, body);
        _remaining -= count;
        if (_remaining == 0)
        {
            _state = State.ChunkDataEnd;
        }

        return Http1ParseStatus.Complete;
    }

    private Http1ParseStatus ParseChunkDataEnd(ref SequenceReader<byte> reader)
    {
        if (reader.Remaining < 2)
        {
            return reader.TryPeek(out byte b) && b != (byte)'\r' ? Http1ParseStatus.Malformed : Http1ParseStatus.NeedMoreData;
        }

        if (!reader.IsNext("\r\n"u8, advancePast: true))
        {
            return Http1ParseStatus.Malformed;
        }

        _state = State.ChunkLine;
        return Http1ParseStatus.Complete;
    }

    // RFC 9112 §7.1.2: trailer-section = *( field-line CRLF ) CRLF; trailer fields are ignored.
    private Http1ParseStatus ParseTrailers(ref SequenceReader<byte> reader)
    {
        if (reader.Remaining < 2)
        {
            return Http1ParseStatus.NeedMoreData;
        }

        long length = 2;
        if (!reader.IsNext("\r\n"u8))
        {
            Http1ParseStatus found = FindSectionEnd(reader.UnreadSequence, out length);
            if (found != Http1ParseStatus.Complete)
            {
                return found;
            }
        }

        reader.Advance(length);
        _state = State.Done;
        return Http1ParseStatus.Complete;
    }

    private Http1ParseStatus ReadUntilClose(ref SequenceReader<byte> reader, bool isCompleted, PooledBufferWriter body)
    {
        long count = reader.Remaining;
        if (count == 0)
        {
            if (!isCompleted)
            {
                return Http1ParseStatus.NeedMoreData;
            }

            _state = State.Done;
            return Http1ParseStatus.Complete;
        }

        if (TakeWithinCap(ref count, body))
        {
            Append(ref reader, count, body);
        }

        return Http1ParseStatus.Complete;
    }

    /// <summary>Shrinks <paramref name="count"/> to the room left under the cap; with no room left, the body is truncated and the response done.</summary>
    private bool TakeWithinCap(ref long count, PooledBufferWriter body)
    {
        long room = _maxBodyLength - body.WrittenCount;
        if (room == 0)
        {
            IsBodyTruncated = true;
            KeepAlive = false;
            _state = State.Done;
            return false;
        }

        count = Math.Min(count, room);
        return true;
    }

    private static void Append(ref SequenceReader<byte> reader, long count, PooledBufferWriter body)
    {
        if (reader.UnreadSpan.Length >= count)
        {
            body.Write(reader.UnreadSpan.Slice(0, (int)count));
        }
        else
        {
            foreach (ReadOnlyMemory<byte> segment in reader.UnreadSequence.Slice(0, count))
            {
                body.Write(segment.Span);
            }
        }

        reader.Advance(count);
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
