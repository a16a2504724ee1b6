using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;

namespace Perf.Invoker.Json;

/// <summary>
/// Writes compact JSON straight into an <see cref="IBufferWriter{T}"/>. Generated writers emit property
/// names as pre-encoded literals merged with their punctuation (<c>",\"name\":"u8</c>), so the only
/// work per member is the value. Strings are escaped the way OpenWhisk's spray-json prints them: only
/// quote, backslash and control characters; other characters pass through as UTF-8.
/// Call <see cref="Flush"/> once at the end: bytes are committed to the output only then.
/// </summary>
public ref struct JsonWriter
{
    private readonly IBufferWriter<byte> _output;

    /// <summary>The span last obtained from the output; bytes before <see cref="_buffered"/> are written but not yet advanced.</summary>
    private Span<byte> _span;

    /// <summary>Bytes written into <see cref="_span"/> and not yet advanced on the output; always ≤ _span.Length.</summary>
    private int _buffered;

    public JsonWriter(IBufferWriter<byte> output)
    {
        _output = output;
        _span = output.GetSpan();
        _buffered = 0;
    }

    /// <summary>Commits the buffered bytes to the output.</summary>
    public void Flush()
    {
        Debug.Assert(_buffered <= _span.Length, "buffered bytes never exceed the span");
        _output.Advance(_buffered);
        _buffered = 0;
        _span = default;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> Reserve(int size)
    {
        if (_span.Length - _buffered < size)
        {
            Grow(size);
        }

        return _span.Slice(_buffered);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(int size)
    {
        _output.Advance(_buffered);
        _buffered = 0;
        _span = _output.GetSpan(size);
    }

    /// <summary>Copies bytes that are already valid JSON text (literals, raw members).</summary>
    public void WriteRaw(scoped ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length <= _span.Length - _buffered)
        {
            utf8.CopyTo(_span.Slice(_buffered));
            _buffered += utf8.Length;
            return;
        }

        WriteRawSlow(utf8);
    }

    // Large raw values (a 1 MiB result) go out in chunks the output is willing to give.
    private void WriteRawSlow(scoped ReadOnlySpan<byte> utf8)
    {
        while (!utf8.IsEmpty)
        {
            Span<byte> span = Reserve(1);
            int n = Math.Min(span.Length, utf8.Length);
            utf8.Slice(0, n).CopyTo(span);
            _buffered += n;
            utf8 = utf8.Slice(n);
        }
    }

    public void WriteByte(byte value)
    {
        Reserve(1)[0] = value;
        _buffered++;
    }

    public void WriteNull() => WriteRaw("null"u8);

    public void WriteBoolean(bool value) => WriteRaw(value ? "true"u8 : "false"u8);

    public void WriteInt64(long value)
    {
        bool ok = value.TryFormat(Reserve(20), out int written, default, null);
        Debug.Assert(ok, "20 bytes hold any Int64");
        _buffered += written;
    }

    public void WriteInt32(int value) => WriteInt64(value);

    public void WriteDouble(double value)
    {
        if (!double.IsFinite(value))
        {
            ThrowNotFinite(value);
        }

        // "R" round-trips; JSON has no NaN or infinity, checked above.
        bool ok = value.TryFormat(Reserve(32), out int written, "R", System.Globalization.CultureInfo.InvariantCulture);
        Debug.Assert(ok, "32 bytes hold any round-trip double");
        _buffered += written;
    }

    /// <summary>Writes a UTF-16 string as a JSON string.</summary>
    public void WriteString(string value)
    {
        ReadOnlySpan<char> chars = value;
        // Fast path: printable ASCII needing no escape, transcoded in one vectorized step.
        if (chars.IndexOfAnyExcept(s_plainAsciiChars) < 0)
        {
            Span<byte> span = Reserve(chars.Length + 2);
            span[0] = (byte)'"';
            System.Text.Ascii.FromUtf16(chars, span.Slice(1), out int written);
            span[written + 1] = (byte)'"';
            _buffered += written + 2;
            return;
        }

        WriteStringSlow(chars);
    }

    private void WriteStringSlow(ReadOnlySpan<char> chars)
    {
        WriteByte((byte)'"');
        while (!chars.IsEmpty)
        {
            int special = chars.IndexOfAny(s_escapedChars);
            ReadOnlySpan<char> plain = special < 0 ? chars : chars.Slice(0, special);
            while (!plain.IsEmpty)
            {
                // Lone surrogates become U+FFFD, as every UTF-8 encoder does; JSON text must be valid UTF-8.
                Span<byte> span = Reserve(Math.Min(plain.Length, 4096) * 3);
                Utf8.FromUtf16(plain, span, out int read, out int written, replaceInvalidSequences: true, isFinalBlock: true);
                _buffered += written;
                plain = plain.Slice(read);
            }

            if (special < 0)
            {
                break;
            }

            WriteEscaped(chars[special]);
            chars = chars.Slice(special + 1);
        }

        WriteByte((byte)'"');
    }

    /// <summary>Writes UTF-8 bytes (assumed valid) as a JSON string.</summary>
    public void WriteUtf8String(scoped ReadOnlySpan<byte> utf8)
    {
        WriteByte((byte)'"');
        while (!utf8.IsEmpty)
        {
            int special = utf8.IndexOfAny(s_escapedBytes);
            WriteRaw(special < 0 ? utf8 : utf8.Slice(0, special));
            if (special < 0)
            {
                break;
            }

            WriteEscaped((char)utf8[special]);
            utf8 = utf8.Slice(special + 1);
        }

        WriteByte((byte)'"');
    }

    private void WriteEscaped(char c)
    {
        switch (c)
        {
            case '"': WriteRaw("\\\""u8); break;
            case '\\': WriteRaw("\\\\"u8); break;
            case '\n': WriteRaw("\\n"u8); break;
            case '\r': WriteRaw("\\r"u8); break;
            case '\t': WriteRaw("\\t"u8); break;
            case '\b': WriteRaw("\\b"u8); break;
            case '\f': WriteRaw("\\f"u8); break;
            default:
                Span<byte> span = Reserve(6);
                "\\u00"u8.CopyTo(span);
                span[4] = (byte)"0123456789abcdef"[c >> 4];
                span[5] = (byte)"0123456789abcdef"[c & 0xF];
                _buffered += 6;
                break;
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNotFinite(double value) =>
        throw new ArgumentOutOfRangeException(nameof(value), value, "JSON has no NaN or infinity.");

    private static readonly SearchValues<char> s_plainAsciiChars = SearchValues.Create(PlainAscii());
    private static readonly SearchValues<char> s_escapedChars = SearchValues.Create(Escaped());
    private static readonly SearchValues<byte> s_escapedBytes = SearchValues.Create(Encoding.ASCII.GetBytes(Escaped()));

    private static string PlainAscii()
    {
        var chars = new List<char>();
        for (char c = ' '; c < 0x7F; c++)
        {
            if (c is not ('"' or '\\'))
            {
                chars.Add(c);
            }
        }

        return new string(chars.ToArray());
    }

    private static string Escaped()
    {
        var chars = new List<char> { '"', '\\' };
        for (char c = '\0'; c < ' '; c++)
        {
            chars.Add(c);
        }

        return new string(chars.ToArray());
    }
}
