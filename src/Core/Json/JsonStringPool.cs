using System.Numerics;
using System.Text;

namespace Perf.Invoker.Json;

/// <summary>
/// A fixed-size, lock-free cache from UTF-8 bytes to strings, for values that recur on every message:
/// namespaces, action names, subjects, keys. A hit returns the cached string with no allocation; a
/// miss allocates the string and replaces whatever shared its bucket. Entries are immutable and
/// published with one reference write, so racing threads at worst both allocate, never read a torn
/// entry. Like Kestrel's reuse of header strings, but shared across messages.
/// </summary>
public sealed class JsonStringPool
{
    // Longer values are unlikely to recur and would make the pool hold on to large strings.
    private const int MaxPooledLength = 256;

    private readonly Entry?[] _buckets;

    public JsonStringPool(int bucketCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketCount, 1);
        _buckets = new Entry?[(int)BitOperations.RoundUpToPowerOf2((uint)bucketCount)];
    }

    public static JsonStringPool Shared { get; } = new(4096);

    public string GetOrAdd(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > MaxPooledLength)
        {
            return Encoding.UTF8.GetString(utf8);
        }

        var hash = new HashCode();
        hash.AddBytes(utf8);
        ref Entry? bucket = ref _buckets[hash.ToHashCode() & (_buckets.Length - 1)];
        Entry? entry = Volatile.Read(ref bucket);
        if (entry is not null && utf8.SequenceEqual(entry.Utf8))
        {
            return entry.Value;
        }

        string value = Encoding.UTF8.GetString(utf8);
        Volatile.Write(ref bucket, new Entry(utf8.ToArray(), value));
        return value;
    }

    private sealed class Entry(byte[] utf8, string value)
    {
        public byte[] Utf8 { get; } = utf8;

        public string Value { get; } = value;
    }
}
