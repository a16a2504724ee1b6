using System.Buffers;
using System.Text;
using Perf.Invoker.Buffers;
using Perf.Invoker.Http;
using static Perf.Invoker.Tests.Http.HttpTestSupport;

namespace Perf.Invoker.Tests.Http;

[Trait("Category", "Unit")]
public sealed class Http1ResponseParserTests
{
    /// <summary>
    /// A response as its parts: atomic parts (heads, chunk-size lines, CRLFs, trailer sections) are
    /// consumed whole or not at all; body parts may be consumed byte by byte.
    /// </summary>
    public sealed record Message(string Name, (string Text, bool Atomic)[] Parts, int Status, string Body, bool KeepAlive, long ContentLength)
    {
        public byte[] Bytes => Encoding.ASCII.GetBytes(string.Concat(Parts.Select(p => p.Text)));

        /// <summary>Offsets at which the parser may have stopped consuming.</summary>
        public SortedSet<int> Boundaries
        {
            get
            {
                var set = new SortedSet<int> { 0 };
                int offset = 0;
                foreach ((string text, bool atomic) in Parts)
                {
                    for (int i = atomic ? text.Length : 1; i <= text.Length; i++)
                    {
                        set.Add(offset + i);
                    }

                    offset += text.Length;
                }

                return set;
            }
        }

        public override string ToString() => Name;
    }

    private static (string, bool) Atom(string text) => (text, true);

    private static (string, bool) Data(string text) => (text, false);

    public static TheoryData<Message> Messages => new()
    {
        new Message("ContentLength",
            [Atom("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"), Data("{\"ok\":true}")],
            200, "{\"ok\":true}", KeepAlive: true, ContentLength: 11),
        new Message("ChunkedWithExtensionsAndTrailers",
            [Atom("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), Atom("4;name=value\r\n"), Data("{\"a\""), Atom("\r\n"),
             Atom("A ; q=\"x;y\"\r\n"), Data(":[1,2,33]}"), Atom("\r\n"), Atom("0;last\r\n"), Atom("X-Checksum: abc\r\nX-Other: 1\r\n\r\n")],
            200, "{\"a\":[1,2,33]}", KeepAlive: true, ContentLength: -1),
        new Message("ChunkedWithoutTrailers",
            [Atom("HTTP/1.1 502 Bad Gateway\r\ntransfer-encoding: Chunked\r\n\r\n"), Atom("00B\r\n"), Data("{\"error\":1}"), Atom("\r\n"), Atom("0\r\n"), Atom("\r\n")],
            502, "{\"error\":1}", KeepAlive: true, ContentLength: -1),
        new Message("NoContentIgnoresContentLength",
            [Atom("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n")],
            204, "", KeepAlive: true, ContentLength: 5),
        new Message("InterimResponseThenFinal",
            [Atom("HTTP/1.1 100 Continue\r\n\r\n"), Atom("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"), Data("{}")],
            200, "{}", KeepAlive: true, ContentLength: 2),
        new Message("TransferEncodingOverridesContentLength",
            [Atom("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n"), Atom("2\r\n"), Data("{}"), Atom("\r\n"), Atom("0\r\n"), Atom("\r\n")],
            200, "{}", KeepAlive: false, ContentLength: -1),
        new Message("StatusLineWithoutReasonAndLowercaseFields",
            [Atom("HTTP/1.1 403\r\ncontent-length: 2, 2\r\nconnection: keep-alive\r\n\r\n"), Data("{}")],
            403, "{}", KeepAlive: true, ContentLength: 2),
        new Message("ConnectionClose",
            [Atom("HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 2\r\n\r\n"), Data("[]")],
            200, "[]", KeepAlive: false, ContentLength: 2),
        new Message("Http10",
            [Atom("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n"), Data("{}")],
            200, "{}", KeepAlive: false, ContentLength: 2),
        new Message("FoldedUnknownFieldIsIgnored",
            [Atom("HTTP/1.1 200 OK\r\nX-Long: a\r\n b\r\nContent-Length: 2\r\n\r\n"), Data("{}")],
            200, "{}", KeepAlive: true, ContentLength: 2),
    };

    private static Http1ResponseParser NewParser(int maxHead = 64 * 1024, int maxBody = 1024 * 1024) => new(maxHead, maxBody);

    private static (Http1ParseStatus Status, long Consumed, long Examined) Parse(ref Http1ResponseParser parser, ReadOnlySequence<byte> buffer, PooledBufferWriter body, bool isCompleted = false)
    {
        Http1ParseStatus status = parser.Parse(buffer, isCompleted, body, out SequencePosition consumed, out SequencePosition examined);
        return (status, buffer.GetOffset(consumed) - buffer.GetOffset(buffer.Start), buffer.GetOffset(examined) - buffer.GetOffset(buffer.Start));
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Parser_WholeMessage_ReturnsStatusBodyAndReuse(Message message)
    {
        var parser = NewParser();
        var body = new PooledBufferWriter();
        byte[] bytes = message.Bytes;

        (Http1ParseStatus status, long consumed, _) = Parse(ref parser, Sequence(bytes), body);

        Assert.Equal(Http1ParseStatus.Complete, status);
        Assert.Equal(bytes.Length, consumed);
        Assert.Equal(message.Status, parser.StatusCode);
        Assert.Equal(message.Body, Encoding.ASCII.GetString(body.WrittenSpan));
        Assert.Equal(message.KeepAlive, parser.KeepAlive);
        Assert.Equal(message.ContentLength, parser.ContentLength);
        Assert.False(parser.IsBodyTruncated);
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Parser_EveryPrefix_NeedsMoreDataAndConsumesOnlyWholeElements(Message message)
    {
        byte[] bytes = message.Bytes;
        SortedSet<int> boundaries = message.Boundaries;
        for (int length = 0; length < bytes.Length; length++)
        {
            var parser = NewParser();
            var body = new PooledBufferWriter();

            (Http1ParseStatus status, long consumed, long examined) = Parse(ref parser, Sequence(bytes[..length]), body);

            Assert.Equal(Http1ParseStatus.NeedMoreData, status);
            Assert.Equal(boundaries.GetViewBetween(0, length).Max, consumed);
            Assert.Equal(length, examined);
        }
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Parser_EverySplitOfTwoSegments_GivesTheSameResult(Message message)
    {
        byte[] bytes = message.Bytes;
        for (int split = 0; split <= bytes.Length; split++)
        {
            var parser = NewParser();
            var body = new PooledBufferWriter();

            (Http1ParseStatus status, long consumed, _) = Parse(ref parser, Sequence(bytes[..split], bytes[split..]), body);

            Assert.Equal(Http1ParseStatus.Complete, status);
            Assert.Equal(bytes.Length, consumed);
            Assert.Equal(message.Status, parser.StatusCode);
            Assert.Equal(message.Body, Encoding.ASCII.GetString(body.WrittenSpan));
            Assert.Equal(message.KeepAlive, parser.KeepAlive);
        }
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Parser_BytesArrivingOneAtATime_CompletesOnTheLastByte(Message message)
    {
        byte[] bytes = message.Bytes;
        var parser = NewParser();
        var body = new PooledBufferWriter();
        byte[] pending = [];
        for (int i = 0; i < bytes.Length; i++)
        {
            // What a pipe hands back: the unconsumed bytes of the last read, then the new byte in its own segment.
            (Http1ParseStatus status, long consumed, _) = Parse(ref parser, Sequence(pending, [bytes[i]]), body);
            pending = [.. pending, bytes[i]];
            pending = pending[(int)consumed..];

            Assert.Equal(i == bytes.Length - 1 ? Http1ParseStatus.Complete : Http1ParseStatus.NeedMoreData, status);
        }

        Assert.Empty(pending);
        Assert.Equal(message.Body, Encoding.ASCII.GetString(body.WrittenSpan));
        Assert.Equal(message.Status, parser.StatusCode);
    }

    [Fact]
    public void Parser_BytesAfterTheResponse_AreLeftUnconsumed()
    {
        byte[] bytes = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}HTTP/1.1 200 OK\r\n");
        var parser = NewParser();

        (Http1ParseStatus status, long consumed, _) = Parse(ref parser, Sequence(bytes), new PooledBufferWriter());

        Assert.Equal(Http1ParseStatus.Complete, status);
        Assert.Equal(bytes.Length - "HTTP/1.1 200 OK\r\n".Length, consumed);
    }

    [Fact]
    public void Parser_CloseDelimitedBody_CompletesOnlyWhenThePeerCloses()
    {
        byte[] bytes = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"closed\":true}");
        int headLength = bytes.Length - "{\"closed\":true}".Length;
        for (int length = 0; length <= bytes.Length; length++)
        {
            var parser = NewParser();
            (Http1ParseStatus open, long consumed, _) = Parse(ref parser, Sequence(bytes[..length]), new PooledBufferWriter());
            Assert.Equal(Http1ParseStatus.NeedMoreData, open);
            Assert.Equal(length < headLength ? 0 : length, consumed);
        }

        var closing = NewParser();
        var body = new PooledBufferWriter();
        Assert.Equal(Http1ParseStatus.NeedMoreData, Parse(ref closing, Sequence(bytes), body).Status);
        Assert.Equal(Http1ParseStatus.Complete, Parse(ref closing, Sequence([]), body, isCompleted: true).Status);
        Assert.Equal("{\"closed\":true}", Encoding.ASCII.GetString(body.WrittenSpan));
        Assert.False(closing.KeepAlive);
        Assert.Equal(-1, closing.ContentLength);
    }

    [Fact]
    public void Parser_NonChunkedTransferEncoding_IsDelimitedByClose()
    {
        byte[] bytes = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 1\r\n\r\nabc");
        var parser = NewParser();
        var body = new PooledBufferWriter();

        Assert.Equal(Http1ParseStatus.Complete, Parse(ref parser, Sequence(bytes), body, isCompleted: true).Status);
        Assert.Equal("abc", Encoding.ASCII.GetString(body.WrittenSpan));
        Assert.False(parser.KeepAlive);
    }

    [Theory]
    [InlineData("garbage\r\n\r\n")]
    [InlineData("HTTP/1.1 2OO OK\r\n\r\n")]
    [InlineData("HTTP/1.1 099 Low\r\n\r\n")]
    [InlineData("HTTP/2.0 200 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 200OK\r\n\r\n")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\n{}")]
    [InlineData("HTTP/1.1 200 OK\r\n: empty-name\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nNo-Colon\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2x\r\n\r\n{}")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\n{}")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n 3\r\n\r\n{}")]
    [InlineData("HTTP/1.1 200 OK\r\n Folded-First: x\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nX-Bare: a\nb\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nX-Nul: a\0b\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2 x\r\n{}\r\n0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;a\rb\r\n{}\r\n0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF\r\n")]
    public void Parser_BrokenFraming_IsMalformed(string response)
    {
        var parser = NewParser();

        Http1ParseStatus status = Parse(ref parser, Sequence(Encoding.ASCII.GetBytes(response)), new PooledBufferWriter()).Status;

        Assert.Equal(Http1ParseStatus.Malformed, status);
    }

    [Fact]
    public void Parser_HeadPastTheCap_IsTooLargeBeforeItEnds()
    {
        string head = "HTTP/1.1 200 OK\r\nX-Padding: " + new string('p', 200) + "\r\nContent-Length: 0\r\n\r\n";
        byte[] bytes = Encoding.ASCII.GetBytes(head);

        var whole = NewParser(maxHead: 128);
        Assert.Equal(Http1ParseStatus.HeadersTooLarge, Parse(ref whole, Sequence(bytes), new PooledBufferWriter()).Status);

        // No terminator yet, but already past the cap: the parser does not wait for more.
        var prefix = NewParser(maxHead: 128);
        Assert.Equal(Http1ParseStatus.HeadersTooLarge, Parse(ref prefix, Sequence(bytes[..129]), new PooledBufferWriter()).Status);

        var underCap = NewParser(maxHead: 128);
        Assert.Equal(Http1ParseStatus.NeedMoreData, Parse(ref underCap, Sequence(bytes[..128]), new PooledBufferWriter()).Status);
    }

    [Fact]
    public void Parser_TrailersPastTheCap_AreTooLarge()
    {
        string response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Trailer: " + new string('t', 200) + "\r\n\r\n";
        var parser = NewParser(maxHead: 128);

        Assert.Equal(Http1ParseStatus.HeadersTooLarge, Parse(ref parser, Sequence(Encoding.ASCII.GetBytes(response)), new PooledBufferWriter()).Status);
    }

    [Fact]
    public void Parser_ContentLengthPastTheBodyCap_KeepsTheFirstBytesAndReportsTruncation()
    {
        byte[] head = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n");
        var parser = NewParser(maxBody: 4);
        var body = new PooledBufferWriter();

        // The response is done once the cap is reached: the rest of the body is never waited for.
        (Http1ParseStatus status, long consumed, _) = Parse(ref parser, Sequence(head, "{\"ok"u8.ToArray()), body);

        Assert.Equal(Http1ParseStatus.Complete, status);
        Assert.Equal(head.Length + 4, consumed);
        Assert.True(parser.IsBodyTruncated);
        Assert.Equal(11, parser.ContentLength);
        Assert.False(parser.KeepAlive);
        Assert.Equal("{\"ok", Encoding.ASCII.GetString(body.WrittenSpan));
    }

    [Fact]
    public void Parser_ChunkedBodyPastTheBodyCap_ReportsTruncationWithoutALength()
    {
        byte[] bytes = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n");
        var parser = NewParser(maxBody: 4);
        var body = new PooledBufferWriter();

        Assert.Equal(Http1ParseStatus.Complete, Parse(ref parser, Sequence(bytes), body).Status);
        Assert.True(parser.IsBodyTruncated);
        Assert.Equal(-1, parser.ContentLength);
        Assert.False(parser.KeepAlive);
        Assert.Equal("abcd", Encoding.ASCII.GetString(body.WrittenSpan));
    }

    [Fact]
    public void Parser_ChunkedBodyExactlyAtTheBodyCap_IsNotTruncated()
    {
        byte[] bytes = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n");
        var parser = NewParser(maxBody: 4);
        var body = new PooledBufferWriter();

        Assert.Equal(Http1ParseStatus.Complete, Parse(ref parser, Sequence(bytes), body).Status);
        Assert.False(parser.IsBodyTruncated);
        Assert.True(parser.KeepAlive);
        Assert.Equal("abcd", Encoding.ASCII.GetString(body.WrittenSpan));
    }

    [Fact]
    public void Parser_CloseDelimitedBodyPastTheBodyCap_ReportsTruncation()
    {
        byte[] bytes = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\n\r\nabcdef");
        var parser = NewParser(maxBody: 4);
        var body = new PooledBufferWriter();

        Assert.Equal(Http1ParseStatus.Complete, Parse(ref parser, Sequence(bytes), body).Status);
        Assert.True(parser.IsBodyTruncated);
        Assert.Equal("abcd", Encoding.ASCII.GetString(body.WrittenSpan));
    }

    [Fact]
    public void Parser_Reset_ParsesTheNextResponseFromScratch()
    {
        var parser = NewParser();
        var body = new PooledBufferWriter();
        Parse(ref parser, Sequence(Encoding.ASCII.GetBytes("HTTP/1.1 500 Oops\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx")), body);

        parser.Reset();
        body.Reset();
        Http1ParseStatus status = Parse(ref parser, Sequence(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")), body).Status;

        Assert.Equal(Http1ParseStatus.Complete, status);
        Assert.Equal(200, parser.StatusCode);
        Assert.True(parser.KeepAlive);
        Assert.Equal("{}", Encoding.ASCII.GetString(body.WrittenSpan));
    }
}
