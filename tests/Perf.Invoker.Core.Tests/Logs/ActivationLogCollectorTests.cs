using System.Threading.Channels;
using Perf.Invoker.Containers;
using Perf.Invoker.Logs;
using Perf.Invoker.Model;

namespace Perf.Invoker.Tests.Logs;

[Trait("Category", "Unit")]
public sealed class ActivationLogCollectorTests
{
    private const string Sentinel = ActivationLogCollector.Sentinel;
    private static readonly ActivationId s_a = ActivationId.Parse("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    private static readonly ActivationId s_b = ActivationId.Parse("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");

    private readonly Channel<OutputLine> _output = Channel.CreateUnbounded<OutputLine>();

    private void Write(OutputStream stream, string text) =>
        _output.Writer.TryWrite(new OutputLine(stream, text, new DateTimeOffset(2024, 5, 31, 16, 8, 37, 200, TimeSpan.Zero)));

    [Fact]
    public async Task Tagged_InterleavedActivations_EachGetOnlyTheirOwnLines()
    {
        var collector = new ActivationLogCollector(_output.Reader, LogFormat.Tagged);
        ActivationLogs a = collector.Begin(s_a, 1 << 20);
        ActivationLogs b = collector.Begin(s_b, 1 << 20);

        Write(OutputStream.Stdout, $"{s_a} a1");
        Write(OutputStream.Stdout, $"{s_b} b1");
        Write(OutputStream.Stderr, $"{s_b} b-err");
        Write(OutputStream.Stdout, "- runtime says hello");
        Write(OutputStream.Stdout, $"{s_a} a2 with  spaces");
        Write(OutputStream.Stdout, $"{Sentinel} {s_b}");
        Write(OutputStream.Stderr, $"{Sentinel} {s_b}");
        await b.Completion;
        Write(OutputStream.Stdout, $"{Sentinel} {s_a}");
        Write(OutputStream.Stderr, $"{Sentinel} {s_a}");
        await a.Completion;

        Assert.Equal(["2024-05-31T16:08:37.200000000Z stdout: a1", "2024-05-31T16:08:37.200000000Z stdout: a2 with  spaces"], a.ToArray());
        Assert.Equal(["2024-05-31T16:08:37.200000000Z stdout: b1", "2024-05-31T16:08:37.200000000Z stderr: b-err"], b.ToArray());
        Assert.Equal(1, collector.UnattributedLines);
    }

    [Fact]
    public async Task Sentinel_SequentialActivations_AreDelimitedPerStream()
    {
        var collector = new ActivationLogCollector(_output.Reader, LogFormat.Sentinel);
        ActivationLogs first = collector.Begin(s_a, 1 << 20);
        Write(OutputStream.Stdout, "one");
        Write(OutputStream.Stdout, Sentinel);
        ActivationLogs second = collector.Begin(s_b, 1 << 20);
        Write(OutputStream.Stdout, "two");
        Write(OutputStream.Stderr, "one-err");   // stderr still belongs to the first until its sentinel
        Write(OutputStream.Stderr, Sentinel);
        Write(OutputStream.Stdout, Sentinel);
        Write(OutputStream.Stderr, Sentinel);

        await first.Completion;
        await second.Completion;

        Assert.Equal(["stdout: one", "stderr: one-err"], first.ToArray().Select(l => l[31..]));
        Assert.Equal(["stdout: two"], second.ToArray().Select(l => l[31..]));
    }

    [Fact]
    public async Task LogLimit_TruncatesWithOpenWhisksNote()
    {
        var collector = new ActivationLogCollector(_output.Reader, LogFormat.Tagged);
        ActivationLogs a = collector.Begin(s_a, 10);
        Write(OutputStream.Stdout, $"{s_a} 12345");
        Write(OutputStream.Stdout, $"{s_a} 67890");
        Write(OutputStream.Stdout, $"{s_a} over");
        Write(OutputStream.Stdout, $"{Sentinel} {s_a}");
        Write(OutputStream.Stderr, $"{Sentinel} {s_a}");
        await a.Completion;

        string[] lines = a.ToArray();
        Assert.True(a.IsTruncated);
        Assert.Equal(3, lines.Length);
        Assert.Equal("Logs were truncated because the total bytes size exceeds the limit of 10 bytes.", lines[^1]);
    }

    [Fact]
    public async Task EndOfOutput_CompletesEveryActivationInFlight()
    {
        var collector = new ActivationLogCollector(_output.Reader, LogFormat.Tagged);
        ActivationLogs a = collector.Begin(s_a, 1 << 20);
        Write(OutputStream.Stdout, $"{s_a} before the crash");
        _output.Writer.Complete();

        await a.Completion;
        await collector.Pump;

        Assert.Single(a.ToArray());
        Assert.True(collector.Begin(s_b, 100).Completion.IsCompleted);
    }

    [Fact]
    public void ForeignConcurrentRuntime_RecordsWhyLogsWereNotCollected()
    {
        var collector = new ActivationLogCollector(_output.Reader, LogFormat.NotCollected);

        ActivationLogs a = collector.Begin(s_a, 1 << 20);

        Assert.True(a.Completion.IsCompleted);
        Assert.Equal(["Logs not collected: concurrency > 1 and the runtime does not tag its lines."], a.ToArray());
    }
}
