using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Perf.Invoker.Json;

/// <summary>Entry points for reading and writing <see cref="IJsonValue{TSelf}"/> types as whole documents.</summary>
public static class JsonModel
{
    /// <summary>The scratch buffer's first size: an activation message of a small invoke fits.</summary>
    private const int ScratchBytes = 4096;

    /// <summary>A scratch buffer grown past this (a large document) is let go rather than kept by its thread.</summary>
    private const int MaxScratchBytes = 256 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_scratch;

    /// <summary>
    /// Reads one JSON document. Any problem with the input, syntax or shape, is a
    /// <see cref="JsonReadException"/> with a byte offset; nothing else is thrown for bad input.
    /// Raw members of the result are slices of <paramref name="utf8"/>, which must outlive them.
    /// </summary>
    /// <param name="maxDepth">How deep the document may nest; deeper is a <see cref="JsonReadException"/>.</param>
    public static T Read<T>(ReadOnlyMemory<byte> utf8, int maxDepth = JsonReader.DefaultMaxDepth) where T : IJsonValue<T>
    {
        // JSON text is UTF-8 (RFC 8259 §8.1). Checked once up front (vectorized) so raw members, which
        // are passed on unread, are valid too.
        if (!Utf8.IsValid(utf8.Span))
        {
            ThrowInvalidUtf8(utf8.Span);
        }

        var reader = new JsonReader(utf8, maxDepth);
        try
        {
            reader.ReadValue();
            T value = T.ReadJson(ref reader);
            if (reader.Read())
            {
                throw new JsonReadException($"Unexpected data after the JSON value at byte {reader.TokenStart}.", null, reader.TokenStart);
            }

            return value;
        }
        catch (JsonException e)
        {
            // Syntax errors from Utf8JsonReader; its position is line-relative, ours is absolute.
            throw new JsonReadException($"Malformed JSON at byte {reader.BytesConsumed}: {e.Message}", null, reader.BytesConsumed, e);
        }
    }

    public static T Read<T>(string json) where T : IJsonValue<T> => Read<T>(Encoding.UTF8.GetBytes(json));

    /// <summary>Writes one value as a compact JSON document.</summary>
    public static void Write<T>(IBufferWriter<byte> output, T value) where T : IJsonValue<T>
    {
        var writer = new JsonWriter(output);
        value.WriteJson(ref writer);
        writer.Flush();
    }

    /// <summary>
    /// Writes one value into a new array of exactly its size: the only allocation, since the value is written into a
    /// scratch buffer kept per thread (an activation message grew a fresh buffer four times over, docs/performance.md §3).
    /// </summary>
    public static byte[] ToUtf8Bytes<T>(T value) where T : IJsonValue<T>
    {
        // Taken out while in use, so a value that serializes another inside its WriteJson gets a buffer of its own.
        ArrayBufferWriter<byte> buffer = t_scratch ?? new ArrayBufferWriter<byte>(ScratchBytes);
        t_scratch = null;
        try
        {
            Write(buffer, value);
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            buffer.ResetWrittenCount();
            if (buffer.Capacity <= MaxScratchBytes)
            {
                t_scratch = buffer;
            }
        }
    }

    public static string ToJsonString<T>(T value) where T : IJsonValue<T> => Encoding.UTF8.GetString(ToUtf8Bytes(value));

    private static void ThrowInvalidUtf8(ReadOnlySpan<byte> utf8)
    {
        Span<char> scratch = stackalloc char[256];
        int offset = 0;
        while (true)
        {
            var status = Utf8.ToUtf16(utf8.Slice(offset), scratch, out int read, out _, replaceInvalidSequences: false);
            offset += read;
            if (status != System.Buffers.OperationStatus.DestinationTooSmall)
            {
                break;
            }
        }

        throw new JsonReadException($"Invalid UTF-8 at byte {offset}.", null, offset);
    }
}
