using System.Diagnostics.CodeAnalysis;
using Perf.Invoker.Json;

namespace Perf.Invoker.Fuzz;

/// <summary>The generated JSON code's contract (docs/json.md): reads throw only <see cref="JsonReadException"/>, and what is written reads back.</summary>
public static class JsonContract
{
    /// <summary>Whether the input reads; false when it is refused the documented way, with an offset inside the input.</summary>
    public static bool TryRead<T>(ReadOnlyMemory<byte> utf8, [NotNullWhen(true)] out T? value, int maxDepth = JsonReader.DefaultMaxDepth) where T : IJsonValue<T>
    {
        try
        {
            value = JsonModel.Read<T>(utf8, maxDepth)!;
            return true;
        }
        catch (JsonReadException e)
        {
            ContractViolation.Unless(e.BytePosition >= 0 && e.BytePosition <= utf8.Length, $"a read error at byte {e.BytePosition} of {utf8.Length}");
            value = default;
            return false;
        }
    }

    /// <summary>Written, read back and written again, the bytes are the same: what the invoker writes, it (and OpenWhisk) can read.</summary>
    public static void RoundTrips<T>(T value, int maxDepth = JsonReader.DefaultMaxDepth) where T : IJsonValue<T>
    {
        byte[] written = JsonModel.ToUtf8Bytes(value);
        T read;
        try
        {
            read = JsonModel.Read<T>(written, maxDepth);
        }
        catch (JsonReadException e)
        {
            throw new ContractViolation($"{typeof(T).Name} written as {System.Text.Encoding.UTF8.GetString(written)} does not read back: {e.Message}");
        }

        byte[] again = JsonModel.ToUtf8Bytes(read);
        ContractViolation.Unless(written.AsSpan().SequenceEqual(again), $"{typeof(T).Name} reads back as another value");
    }
}
