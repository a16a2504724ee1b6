using System.Globalization;
using Perf.Invoker.Json;

namespace Perf.Invoker.Model;

/// <summary>The unit a <see cref="ByteSize"/> was written in, kept so a size reads back as it was written.</summary>
public enum SizeUnit
{
    B,
    KB,
    MB,
    GB,
}

/// <summary>OpenWhisk's ByteSize: on the wire a string like <c>"2048 MB"</c> (InvokerInstanceId.userMemory).</summary>
public readonly record struct ByteSize(long Size, SizeUnit Unit) : IJsonValue<ByteSize>
{
    public long Bytes => Size << (10 * (int)Unit);

    public static ByteSize FromMegabytes(long megabytes) => new(megabytes, SizeUnit.MB);

    public static bool TryParse(ReadOnlySpan<char> text, out ByteSize size)
    {
        size = default;
        text = text.Trim();
        int digits = 0;
        while (digits < text.Length && char.IsAsciiDigit(text[digits]))
        {
            digits++;
        }

        if (digits == 0 || !long.TryParse(text[..digits], NumberStyles.None, CultureInfo.InvariantCulture, out long value))
        {
            return false;
        }

        SizeUnit? unit = text[digits..].Trim().ToString().ToUpperInvariant() switch
        {
            "B" or "" => SizeUnit.B,
            "K" or "KB" => SizeUnit.KB,
            "M" or "MB" => SizeUnit.MB,
            "G" or "GB" => SizeUnit.GB,
            _ => null,
        };
        if (unit is null || value > long.MaxValue >> (10 * (int)unit.Value))
        {
            return false;
        }

        size = new ByteSize(value, unit.Value);
        return true;
    }

    public static ByteSize ReadJson(ref JsonReader reader)
    {
        if (!TryParse(reader.GetString(), out ByteSize size))
        {
            reader.ThrowInvalid("a size is a number and a unit, like \"2048 MB\".");
        }

        return size;
    }

    public void WriteJson(ref JsonWriter writer)
    {
        Span<byte> text = stackalloc byte[32];
        Size.TryFormat(text, out int n, default, CultureInfo.InvariantCulture);
        text[n++] = (byte)' ';
        ReadOnlySpan<byte> unit = Unit switch
        {
            SizeUnit.B => "B"u8,
            SizeUnit.KB => "KB"u8,
            SizeUnit.MB => "MB"u8,
            _ => "GB"u8,
        };
        unit.CopyTo(text[n..]);
        writer.WriteUtf8String(text[..(n + unit.Length)]);
    }

    public override string ToString() => $"{Size} {Unit}";
}
