using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using Perf.Invoker.Json;

namespace Perf.Invoker.Model;

/// <summary>
/// An activation id: 32 lowercase hexadecimal characters on the wire (docs/openwhisk.md §2), held as the
/// 128-bit number they spell, so ids compare, hash and travel without a string.
/// </summary>
public readonly struct ActivationId : IJsonValue<ActivationId>, IEquatable<ActivationId>, ISpanFormattable, IUtf8SpanFormattable
{
    public const int Length = 32;

    /// <summary>Ids drawn from the system's CSPRNG at once: one call per this many ids instead of one per id (each call costs microseconds).</summary>
    private const int IdsPerRefill = 64;

    /// <summary>The random part of an id: 80 bits.</summary>
    private const int RandomBytesPerId = 10;

    /// <summary>This thread's unused random ids, as bytes; refilled whole when used up.</summary>
    [ThreadStatic]
    private static byte[]? t_random;

    /// <summary>How many bytes of <see cref="t_random"/> this thread has used.</summary>
    [ThreadStatic]
    private static int t_used;

    private readonly UInt128 _value;

    public ActivationId(UInt128 value) => _value = value;

    /// <summary>
    /// A new id: the milliseconds since the Unix epoch in the top 48 bits, then 80 bits from the cryptographic RNG
    /// (the layout of a version 7 UUID, without its version bits). Still 32 hex characters, still unguessable, and new
    /// ids sort after older ones, so the store's index of ids grows at one end: a batch of records touches one or two
    /// index pages instead of one random page each.
    /// </summary>
    public static ActivationId NewId() => NewId(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    internal static ActivationId NewId(long unixMilliseconds)
    {
        byte[]? random = t_random;
        int used = t_used;
        if (random is null || used == random.Length)
        {
            random ??= t_random = new byte[IdsPerRefill * RandomBytesPerId];
            RandomNumberGenerator.Fill(random);
            used = 0;
        }

        t_used = used + RandomBytesPerId;
        ReadOnlySpan<byte> bits = random.AsSpan(used, RandomBytesPerId);
        UInt128 low = ((UInt128)System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(bits) << 64) | System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bits[2..]);
        return new ActivationId(((UInt128)(ulong)(unixMilliseconds & 0xFFFF_FFFF_FFFF) << 80) | low);
    }

    public static bool TryParse(ReadOnlySpan<byte> utf8, out ActivationId id)
    {
        id = default;
        if (utf8.Length != Length || utf8.ContainsAnyExcept(s_lowerHex))
        {
            return false;
        }

        bool ok = UInt128.TryParse(utf8, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out UInt128 value);
        id = new ActivationId(value);
        return ok;
    }

    public static bool TryParse(ReadOnlySpan<char> text, out ActivationId id)
    {
        id = default;
        if (text.Length != Length || text.ContainsAnyExcept(s_lowerHexChars))
        {
            return false;
        }

        bool ok = UInt128.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out UInt128 value);
        id = new ActivationId(value);
        return ok;
    }

    public static bool TryParse([NotNullWhen(true)] string? text, out ActivationId id)
    {
        id = default;
        return text is not null && TryParse(text.AsSpan(), out id);
    }

    public static ActivationId Parse(string text) =>
        TryParse(text, out ActivationId id) ? id : throw new FormatException($"'{text}' is not an activation id (32 lowercase hexadecimal characters).");

    public static ActivationId ReadJson(ref JsonReader reader)
    {
        if (!TryParse(reader.GetUtf8String(), out ActivationId id))
        {
            reader.ThrowInvalid("an activation id is 32 lowercase hexadecimal characters.");
        }

        return id;
    }

    public void WriteJson(ref JsonWriter writer)
    {
        Span<byte> quoted = stackalloc byte[Length + 2];
        quoted[0] = (byte)'"';
        TryFormat(quoted.Slice(1), out _, default, null);
        quoted[Length + 1] = (byte)'"';
        writer.WriteRaw(quoted);
    }

    public bool TryFormat(Span<byte> utf8Destination, out int bytesWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        _value.TryFormat(utf8Destination, out bytesWritten, "x32", CultureInfo.InvariantCulture);

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        _value.TryFormat(destination, out charsWritten, "x32", CultureInfo.InvariantCulture);

    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    public override string ToString() => _value.ToString("x32", CultureInfo.InvariantCulture);

    public bool Equals(ActivationId other) => _value == other._value;

    public override bool Equals(object? obj) => obj is ActivationId other && Equals(other);

    public override int GetHashCode() => _value.GetHashCode();

    public static bool operator ==(ActivationId left, ActivationId right) => left.Equals(right);

    public static bool operator !=(ActivationId left, ActivationId right) => !left.Equals(right);

    private static readonly System.Buffers.SearchValues<char> s_lowerHexChars = System.Buffers.SearchValues.Create("0123456789abcdef");

    private static readonly System.Buffers.SearchValues<byte> s_lowerHex = System.Buffers.SearchValues.Create("0123456789abcdef"u8);
}
