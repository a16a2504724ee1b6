using System.Text;

namespace Perf.Invoker.Json;

/// <summary>
/// A JSON value kept as its original UTF-8 bytes (no DOM): activation <c>content</c>, results and
/// parameters pass through the invoker untouched. Reading slices the input; writing copies the bytes
/// back verbatim. <c>default</c> holds no value.
/// </summary>
public readonly struct RawJson : IJsonValue<RawJson>, IEquatable<RawJson>
{
    private RawJson(ReadOnlyMemory<byte> utf8) => Utf8 = utf8;

    /// <summary>The value's bytes, exactly as they appeared in the input.</summary>
    public ReadOnlyMemory<byte> Utf8 { get; }

    public bool IsEmpty => Utf8.IsEmpty;

    public static RawJson EmptyObject { get; } = new("{}"u8.ToArray());

    public static RawJson Null { get; } = new("null"u8.ToArray());

    /// <summary>Wraps bytes after checking they hold exactly one well-formed JSON value.</summary>
    public static RawJson Parse(ReadOnlyMemory<byte> utf8)
    {
        return JsonModel.Read<RawJson>(utf8);
    }

    public static RawJson Parse(string json) => Parse(Encoding.UTF8.GetBytes(json));

    public static RawJson True { get; } = new("true"u8.ToArray());

    public static RawJson False { get; } = new("false"u8.ToArray());

    /// <summary>A JSON string holding <paramref name="value"/>, escaped by our writer.</summary>
    public static RawJson FromString(string value)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(value.Length + 2);
        var writer = new JsonWriter(buffer);
        writer.WriteString(value);
        writer.Flush();
        return new RawJson(buffer.WrittenMemory);
    }

    public static RawJson FromInt64(long value)
    {
        Span<byte> digits = stackalloc byte[20];
        value.TryFormat(digits, out int written, default, System.Globalization.CultureInfo.InvariantCulture);
        return new RawJson(digits[..written].ToArray());
    }

    /// <summary>Wraps bytes the caller guarantees to be one well-formed JSON value (our own writer's output).</summary>
    public static RawJson FromTrusted(ReadOnlyMemory<byte> utf8) => new(utf8);

    public static RawJson ReadJson(ref JsonReader reader)
    {
        long start = reader.TokenStart;
        reader.SkipCurrent();
        return new RawJson(reader.Source.Slice((int)start, (int)(reader.BytesConsumed - start)));
    }

    public void WriteJson(ref JsonWriter writer) => writer.WriteRaw(IsEmpty ? "null"u8 : Utf8.Span);

    public bool Equals(RawJson other) => Utf8.Span.SequenceEqual(other.Utf8.Span);

    public override bool Equals(object? obj) => obj is RawJson other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(Utf8.Span);
        return hash.ToHashCode();
    }

    public static bool operator ==(RawJson left, RawJson right) => left.Equals(right);

    public static bool operator !=(RawJson left, RawJson right) => !left.Equals(right);

    public override string ToString() => Encoding.UTF8.GetString(Utf8.Span);
}
