using System.Text;
using Perf.Invoker.Containers;

namespace Perf.Invoker.Tests.Containers;

/// <summary>The attach stream's chunks come cut anywhere: inside a line, a CRLF or a multi-byte character.</summary>
[Trait("Category", "Unit")]
public sealed class Utf8LineSplitterTests
{
    private static readonly byte[] s_text = Encoding.UTF8.GetBytes("a1 hello\nä€😀 x\r\n\nlast");

    private static readonly string[] s_lines = ["a1 hello", "ä€😀 x\r", "", "last"];

    [Fact]
    public void EverySplitPoint_GivesTheSameLines()
    {
        for (int cut = 0; cut <= s_text.Length; cut++)
        {
            var splitter = new Utf8LineSplitter();
            var lines = new List<string>();

            splitter.Write(s_text.AsSpan(0, cut), lines);
            splitter.Write(s_text.AsSpan(cut), lines);
            splitter.Flush(lines);

            Assert.Equal(s_lines, lines);
        }
    }

    [Fact]
    public void OneByteAtATime_GivesTheSameLines()
    {
        var splitter = new Utf8LineSplitter();
        var lines = new List<string>();

        foreach (byte b in s_text)
        {
            splitter.Write([b], lines);
        }

        splitter.Flush(lines);
        Assert.Equal(s_lines, lines);
    }

    [Fact]
    public void ALineIsGivenOnlyOnceItsLineFeedArrives()
    {
        var splitter = new Utf8LineSplitter();
        var lines = new List<string>();

        splitter.Write("no end yet"u8, lines);
        Assert.Empty(lines);
        splitter.Write(" now\n"u8, lines);

        Assert.Equal(["no end yet now"], lines);
    }

    [Fact]
    public void ChunksLargerThanTheScratchBuffer_AreSplitWhole()
    {
        string longLine = new('x', 100_000);
        var splitter = new Utf8LineSplitter();
        var lines = new List<string>();

        splitter.Write(Encoding.UTF8.GetBytes(longLine + "\nnext\n"), lines);

        Assert.Equal([longLine, "next"], lines);
    }
}
