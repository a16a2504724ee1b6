using System.Buffers;
using System.Text;
using System.Text.Json;
using Perf.Invoker.Json;

namespace Perf.Invoker.Pool;

/// <summary>
/// OpenWhisk's split of an activation's parameters (ContainerProxy.partitionArguments): those named in
/// the message's <c>initArgs</c> go to /init as environment variables, the rest to /run as its value.
/// Strings pass as their text, other JSON values as their JSON. Only actions with init parameters pay for it.
/// </summary>
internal static class InitArguments
{
    public static RawJson Split(RawJson content, string[]? initArgs, List<KeyValuePair<string, string>>? env)
    {
        if (initArgs is not { Length: > 0 } || content.IsEmpty || content.Utf8.Span[0] != (byte)'{')
        {
            return content;
        }

        var rest = new ArrayBufferWriter<byte>(content.Utf8.Length);
        var writer = new JsonWriter(rest);
        var reader = new JsonReader(content.Utf8);
        // Kept apart until the split is done: a content that cannot be split leaves env as it was.
        List<KeyValuePair<string, string>> init = [];
        try
        {
            reader.ReadValue();
            writer.WriteByte((byte)'{');
            bool first = true;
            while (reader.ReadPropertyName(out ReadOnlySpan<byte> name))
            {
                string key = Encoding.UTF8.GetString(name);
                reader.ReadValue();
                long start = reader.TokenStart;
                bool isInit = Array.IndexOf(initArgs, key) >= 0;
                string? text = isInit && reader.TokenType == JsonTokenType.String ? Text(ref reader) : null;
                reader.SkipCurrent();
                ReadOnlySpan<byte> value = content.Utf8.Span[(int)start..(int)reader.BytesConsumed];
                if (isInit)
                {
                    init.Add(new(key, text ?? Encoding.UTF8.GetString(value)));
                    continue;
                }

                writer.WriteRaw(first ? ""u8 : ","u8);
                writer.WriteString(key);
                writer.WriteByte((byte)':');
                writer.WriteRaw(value);
                first = false;
            }
        }
        catch (JsonReadException)
        {
            // A parameter name that is not text (a lone surrogate escape, which the REST API refuses) is no init
            // argument's: the parameters go to /run as they came.
            return content;
        }

        writer.WriteByte((byte)'}');
        writer.Flush();
        env?.AddRange(init);
        return RawJson.FromTrusted(rest.WrittenMemory);
    }

    /// <summary>A string's text; null for one that is not text (a lone surrogate escape), which passes as its JSON, as other values do.</summary>
    private static string? Text(ref JsonReader reader)
    {
        try
        {
            return reader.GetString();
        }
        catch (JsonReadException)
        {
            return null;
        }
    }
}
