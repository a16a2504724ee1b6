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
        reader.ReadValue();
        writer.WriteByte((byte)'{');
        bool first = true;
        while (reader.ReadPropertyName(out ReadOnlySpan<byte> name))
        {
            string key = Encoding.UTF8.GetString(name);
            reader.ReadValue();
            long start = reader.TokenStart;
            bool isString = reader.TokenType == JsonTokenType.String;
            string? text = isString ? reader.GetString() : null;
            reader.SkipCurrent();
            ReadOnlySpan<byte> value = content.Utf8.Span[(int)start..(int)reader.BytesConsumed];
            if (Array.IndexOf(initArgs, key) >= 0)
            {
                env?.Add(new(key, text ?? Encoding.UTF8.GetString(value)));
                continue;
            }

            writer.WriteRaw(first ? ""u8 : ","u8);
            writer.WriteString(key);
            writer.WriteByte((byte)':');
            writer.WriteRaw(value);
            first = false;
        }

        writer.WriteByte((byte)'}');
        writer.Flush();
        return RawJson.FromTrusted(rest.WrittenMemory);
    }
}
