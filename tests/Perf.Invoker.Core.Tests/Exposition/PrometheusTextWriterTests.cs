using System.Buffers;
using System.Text;
using Perf.Invoker.Exposition;

namespace Perf.Invoker.Tests.Exposition;

[Trait("Category", "Unit")]
public sealed class PrometheusTextWriterTests
{
    [Fact]
    public void Writer_ASmallState_WritesExactlyTheseLines()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new PrometheusTextWriter(buffer);
        writer.WriteFamily("t_total"u8, "counter"u8, "Things done."u8);
        writer.WriteSample("t_total"u8, "kind"u8, "a"u8, 3);
        writer.WriteSample("t_total"u8, "kind"u8, "b"u8, 0);
        writer.WriteFamily("t_ratio"u8, "gauge"u8, "A ratio."u8);
        writer.WriteSample("t_ratio"u8, 0.25);
        writer.WriteFamily("t_seconds"u8, "histogram"u8, "Latency."u8);
        writer.WriteHistogram("t_seconds"u8, [1, 250], [1, 3, 4], sumMillis: 61_234);

        const string Expected = """
            # HELP t_total Things done.
            # TYPE t_total counter
            t_total{kind="a"} 3
            t_total{kind="b"} 0
            # HELP t_ratio A ratio.
            # TYPE t_ratio gauge
            t_ratio 0.25
            # HELP t_seconds Latency.
            # TYPE t_seconds histogram
            t_seconds_bucket{le="0.001"} 1
            t_seconds_bucket{le="0.25"} 3
            t_seconds_bucket{le="+Inf"} 4
            t_seconds_sum 61.234
            t_seconds_count 4

            """;
        string text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        Assert.Equal(Expected.ReplaceLineEndings("\n"), text);
        Assert.Equal(8, PrometheusText.Parse(text).Count);
    }

    [Fact]
    public void Writer_EscapesBackslashQuoteAndLineFeedInLabelValues_AndBackslashAndLineFeedInHelp()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new PrometheusTextWriter(buffer);
        writer.WriteFamily("t"u8, "gauge"u8, "A \\ help\nwith \"quotes\"."u8);
        writer.WriteSample("t"u8, "path"u8, "C:\\dir \"x\"\nend"u8, 1);

        string text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        Assert.Equal("# HELP t A \\\\ help\\nwith \"quotes\".\n# TYPE t gauge\nt{path=\"C:\\\\dir \\\"x\\\"\\nend\"} 1\n", text);
        Assert.Single(PrometheusText.Parse(text));
    }

    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(1e21, "1E+21")]
    [InlineData(-0.5, "-0.5")]
    public void Writer_Numbers_UseTheFormatsSpellings(double value, string expected)
    {
        var buffer = new ArrayBufferWriter<byte>();
        new PrometheusTextWriter(buffer).WriteSample("t"u8, value);

        Assert.Equal($"t {expected}\n", Encoding.UTF8.GetString(buffer.WrittenSpan));
    }
}
