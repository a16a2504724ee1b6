using System.Buffers.Text;
using Perf.Invoker.Json;

namespace Perf.Invoker.Model;

/// <summary>An epoch-milliseconds time written as a JSON string, as the /run body's <c>deadline</c> is (docs/openwhisk.md §5).</summary>
public readonly record struct EpochMillisString(long Millis) : IJsonValue<EpochMillisString>
{
    public static EpochMillisString ReadJson(ref JsonReader reader)
    {
        ReadOnlySpan<byte> text = reader.GetUtf8String();
        if (!Utf8Parser.TryParse(text, out long millis, out int consumed) || consumed != text.Length)
        {
            reader.ThrowInvalid("expected epoch milliseconds as a string of digits.");
        }

        return new EpochMillisString(millis);
    }

    public void WriteJson(ref JsonWriter writer)
    {
        Span<byte> text = stackalloc byte[22];
        text[0] = (byte)'"';
        Millis.TryFormat(text[1..], out int n, default, null);
        text[n + 1] = (byte)'"';
        writer.WriteRaw(text[..(n + 2)]);
    }
}
