using System.Buffers;
using System.Buffers.Text;
using System.Globalization;

namespace Perf.Invoker.Exposition;

/// <summary>
/// Writes the Prometheus text exposition format, version 0.0.4: <c># HELP</c> and <c># TYPE</c> lines, then one
/// sample per line, <c>name{label="value"} number</c>. Names, help and label values are UTF-8 spans (mostly
/// <c>"…"u8</c> literals), numbers are formatted in place, so a scrape makes no garbage of its own.
/// </summary>
public readonly ref struct PrometheusTextWriter(IBufferWriter<byte> output)
{
    /// <summary>The media type of this format, for the response's Content-Type.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    // Longest formatted number: a double in shortest round-trip form is at most 24 bytes, a long 20.
    private const int MaxNumberBytes = 32;

    /// <summary><c># HELP</c> (backslash and line feed escaped, as the format requires) and <c># TYPE</c> of a family.</summary>
    public void WriteFamily(ReadOnlySpan<byte> name, ReadOnlySpan<byte> type, ReadOnlySpan<byte> help)
    {
        Write("# HELP "u8);
        Write(name);
        Write(" "u8);
        WriteEscaped(help, escapeQuote: false);
        Write("\n# TYPE "u8);
        Write(name);
        Write(" "u8);
        Write(type);
        Write("\n"u8);
    }

    public void WriteSample(ReadOnlySpan<byte> name, long value)
    {
        Write(name);
        Write(" "u8);
        WriteNumber(value);
        Write("\n"u8);
    }

    public void WriteSample(ReadOnlySpan<byte> name, double value)
    {
        Write(name);
        Write(" "u8);
        WriteNumber(value);
        Write("\n"u8);
    }

    /// <summary>A sample with one label; the value is escaped (backslash, double quote, line feed).</summary>
    public void WriteSample(ReadOnlySpan<byte> name, ReadOnlySpan<byte> label, ReadOnlySpan<byte> labelValue, long value)
    {
        WriteLabelled(name, label, labelValue);
        WriteNumber(value);
        Write("\n"u8);
    }

    /// <summary>
    /// A histogram's samples from cumulative counts per bucket (seconds, as Prometheus wants base units):
    /// <c>_bucket{le="…"}</c> for each bound and <c>+Inf</c>, then <c>_sum</c> and <c>_count</c>.
    /// </summary>
    public void WriteHistogram(ReadOnlySpan<byte> name, ReadOnlySpan<long> boundsMillis, ReadOnlySpan<long> cumulative, long sumMillis)
    {
        for (int i = 0; i < cumulative.Length; i++)
        {
            Write(name);
            Write("_bucket{le=\""u8);
            if (i < boundsMillis.Length)
            {
                WriteNumber(boundsMillis[i] / 1000.0);
            }
            else
            {
                Write("+Inf"u8);
            }

            Write("\"} "u8);
            WriteNumber(cumulative[i]);
            Write("\n"u8);
        }

        Write(name);
        Write("_sum "u8);
        WriteNumber(sumMillis / 1000.0);
        Write("\n"u8);
        Write(name);
        Write("_count "u8);
        WriteNumber(cumulative.IsEmpty ? 0 : cumulative[^1]);
        Write("\n"u8);
    }

    private void WriteLabelled(ReadOnlySpan<byte> name, ReadOnlySpan<byte> label, ReadOnlySpan<byte> labelValue)
    {
        Write(name);
        Write("{"u8);
        Write(label);
        Write("=\""u8);
        WriteEscaped(labelValue, escapeQuote: true);
        Write("\"} "u8);
    }

    private void WriteEscaped(ReadOnlySpan<byte> text, bool escapeQuote)
    {
        while (!text.IsEmpty)
        {
            int special = escapeQuote ? text.IndexOfAny("\\\"\n"u8) : text.IndexOfAny("\\\n"u8);
            if (special < 0)
            {
                Write(text);
                return;
            }

            Write(text[..special]);
            Write(text[special] switch
            {
                (byte)'\\' => "\\\\"u8,
                (byte)'"' => "\\\""u8,
                _ => "\\n"u8,
            });
            text = text[(special + 1)..];
        }
    }

    private void WriteNumber(long value)
    {
        Span<byte> span = output.GetSpan(MaxNumberBytes);
        bool formatted = Utf8Formatter.TryFormat(value, span, out int written);
        System.Diagnostics.Debug.Assert(formatted, "a long fits in MaxNumberBytes");
        output.Advance(written);
    }

    private void WriteNumber(double value)
    {
        if (!double.IsFinite(value))
        {
            // The format's spellings, not .NET's ("Infinity").
            Write(double.IsNaN(value) ? "NaN"u8 : value > 0 ? "+Inf"u8 : "-Inf"u8);
            return;
        }

        Span<byte> span = output.GetSpan(MaxNumberBytes);
        bool formatted = value.TryFormat(span, out int written, "R", CultureInfo.InvariantCulture);
        System.Diagnostics.Debug.Assert(formatted, "a double fits in MaxNumberBytes");
        output.Advance(written);
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        Span<byte> span = output.GetSpan(bytes.Length);
        bytes.CopyTo(span);
        output.Advance(bytes.Length);
    }
}
