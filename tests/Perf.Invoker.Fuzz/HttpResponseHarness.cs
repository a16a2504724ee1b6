using System.Buffers;
using Perf.Invoker.Buffers;
using Perf.Invoker.Http;

namespace Perf.Invoker.Fuzz;

/// <summary>
/// The HTTP/1.1 response parser (src/Core/Http), driven as an exchange drives it. Input: one byte for how many bytes
/// arrive per socket read (1–256), one for the caps (bit 7: a 64-byte head cap instead of 64 KiB; bits 0–6: a body cap of
/// that many times 3 bytes, or 1 MiB when 0), then the server's bytes. The response is parsed whole and again as it
/// arrives, the unconsumed bytes of each read in one segment and the new ones in another, as a pipe hands them back;
/// both must end the same way, within the caps, with a framing that agrees with the head.
/// </summary>
public static class HttpResponseHarness
{
    private static readonly byte[] s_next = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"u8.ToArray();

    public static void Run(ReadOnlyMemory<byte> input)
    {
        if (input.Length < 2)
        {
            return;
        }

        int step = input.Span[0] + 1;
        int maxHead = (input.Span[1] & 0x80) != 0 ? 64 : 64 * 1024;
        int maxBody = (input.Span[1] & 0x7F) is var units and > 0 ? units * 3 : 1024 * 1024;
        ReadOnlyMemory<byte> response = input[2..];

        var parser = new Http1ResponseParser(maxHead, maxBody);
        var body = new PooledBufferWriter();
        Outcome whole = ParseWhole(ref parser, body, response, maxBody);

        var arriving = new Http1ResponseParser(maxHead, maxBody);
        var arrivingBody = new PooledBufferWriter();
        Outcome pieces = ParseArriving(ref arriving, arrivingBody, response, step, maxBody);

        ContractViolation.Unless(whole.Status == pieces.Status, $"whole: {whole.Status}, arriving {step} at a time: {pieces.Status}");
        if (whole.Status == Http1ParseStatus.Complete)
        {
            ContractViolation.Unless(whole == pieces with { Body = whole.Body } && whole.Body.AsSpan().SequenceEqual(pieces.Body),
                $"whole: {whole}, arriving {step} at a time: {pieces}");
        }

        // The exchange reuses its parser: after Reset nothing of this response may leak into the next.
        parser.Reset();
        body.Reset();
        Http1ParseStatus next = parser.Parse(new ReadOnlySequence<byte>(s_next), isCompleted: false, body, out _, out _);
        ContractViolation.Unless(next == Http1ParseStatus.Complete && parser.StatusCode == 200 && body.WrittenSpan.SequenceEqual("{}"u8),
            $"after Reset a plain response parsed as {next}, status {parser.StatusCode}");
    }

    private static Outcome ParseWhole(ref Http1ResponseParser parser, PooledBufferWriter body, ReadOnlyMemory<byte> response, int maxBody)
    {
        var buffer = new ReadOnlySequence<byte>(response);
        Http1ParseStatus status = parser.Parse(buffer, isCompleted: true, body, out SequencePosition consumed, out SequencePosition examined);
        return Check(ref parser, body, buffer, status, consumed, examined, maxBody);
    }

    private static Outcome ParseArriving(ref Http1ResponseParser parser, PooledBufferWriter body, ReadOnlyMemory<byte> response, int step, int maxBody)
    {
        int start = 0;
        int available = 0;
        long consumedBefore = 0;
        while (true)
        {
            int previous = available;
            available = Math.Min(response.Length, available + step);
            ReadOnlySequence<byte> buffer = TwoSegments(response[start..previous], response[previous..available]);
            Http1ParseStatus status = parser.Parse(buffer, isCompleted: available == response.Length, body, out SequencePosition consumed, out SequencePosition examined);
            Outcome outcome = Check(ref parser, body, buffer, status, consumed, examined, maxBody);
            start += (int)outcome.Consumed;
            if (status != Http1ParseStatus.NeedMoreData || available == response.Length)
            {
                return outcome with { Consumed = consumedBefore + outcome.Consumed };
            }

            consumedBefore += outcome.Consumed;
        }
    }

    /// <summary>What one call returned, checked against the parser's contract.</summary>
    private static Outcome Check(ref Http1ResponseParser parser, PooledBufferWriter body, ReadOnlySequence<byte> buffer,
        Http1ParseStatus status, SequencePosition consumed, SequencePosition examined, int maxBody)
    {
        ContractViolation.Unless(Enum.IsDefined(status), $"status {status} is none of Http1ParseStatus");
        long consumedLength = buffer.Slice(buffer.Start, consumed).Length;
        long examinedLength = buffer.Slice(buffer.Start, examined).Length;
        ContractViolation.Unless(consumedLength <= examinedLength, $"consumed {consumedLength} past examined {examinedLength}");
        ContractViolation.Unless(body.WrittenCount <= maxBody, $"a body of {body.WrittenCount} bytes past the cap of {maxBody}");
        if (status == Http1ParseStatus.Complete)
        {
            ContractViolation.Unless(parser.IsComplete, "Complete, but the parser is not done");
            ContractViolation.Unless(parser.StatusCode is >= 200 and <= 999, $"a final response with status {parser.StatusCode}");
            ContractViolation.Unless(!parser.IsBodyTruncated || !parser.KeepAlive, "a truncated body on a connection kept alive");
            if (parser.StatusCode is 204 or 304)
            {
                ContractViolation.Unless(body.WrittenCount == 0, $"a {parser.StatusCode} with a body");
            }
            else if (parser.ContentLength >= 0 && !parser.IsBodyTruncated)
            {
                ContractViolation.Unless(body.WrittenCount == parser.ContentLength, $"Content-Length {parser.ContentLength}, body {body.WrittenCount}");
            }
        }

        return new Outcome(status, consumedLength, parser.StatusCode, parser.ContentLength, parser.KeepAlive, parser.IsBodyTruncated, body.WrittenSpan.ToArray());
    }

    private static ReadOnlySequence<byte> TwoSegments(ReadOnlyMemory<byte> first, ReadOnlyMemory<byte> second)
    {
        if (first.IsEmpty || second.IsEmpty)
        {
            return new ReadOnlySequence<byte>(first.IsEmpty ? second : first);
        }

        var head = new Segment(first, 0);
        var tail = new Segment(second, first.Length);
        head.SetNext(tail);
        return new ReadOnlySequence<byte>(head, 0, tail, second.Length);
    }

    private sealed record Outcome(Http1ParseStatus Status, long Consumed, int StatusCode, long ContentLength, bool KeepAlive, bool Truncated, byte[] Body);

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public void SetNext(Segment next) => Next = next;
    }
}
