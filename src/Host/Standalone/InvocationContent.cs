using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Perf.Invoker.Json;
using Perf.Invoker.Model;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// The <c>content</c> of an activation message, made as OpenWhisk's controller makes it: the action's
/// default parameters, overridden by the request's own (a JSON object; an empty body is <c>{}</c>).
/// </summary>
internal static class InvocationContent
{
    /// <summary>The deepest parameters that still fit in an activation message read at <see cref="JsonReader.DefaultMaxDepth"/>.</summary>
    public const int MaxDepth = JsonReader.DefaultMaxDepth - 1;

    /// <summary>The merged parameters, or null with <paramref name="error"/> when the body is not one JSON object.</summary>
    public static RawJson? Merge(Parameter[]? defaults, ReadOnlyMemory<byte> body, out string? error)
    {
        error = null;
        // JSON is UTF-8; a bad byte would make the whole activation message unreadable further on.
        if (!Utf8.IsValid(body.Span))
        {
            error = $"Invalid UTF-8 at byte {FirstInvalidByte(body.Span)}.";
            return null;
        }

        ReadOnlySpan<byte> span = body.Span.Trim(" \t\r\n"u8);
        if (span.IsEmpty)
        {
            return defaults is { Length: > 0 } ? Write(defaults, [], default) : RawJson.EmptyObject;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            // One level less than messages are read with: the parameters become the message's "content".
            var reader = new Utf8JsonReader(span, new JsonReaderOptions { MaxDepth = MaxDepth });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = "the parameters must be a JSON object";
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                names.Add(reader.GetString()!);
                reader.Read();
                reader.Skip();
            }

            if (reader.Read())
            {
                error = $"unexpected data after the JSON object at byte {reader.TokenStartIndex}";
                return null;
            }
        }
        catch (JsonException e)
        {
            error = e.Message;
            return null;
        }
        catch (InvalidOperationException e)
        {
            // A member name with an escape that is not valid UTF-16 (a lone \ud800).
            error = $"a member name is not valid text: {e.Message}";
            return null;
        }

        if (defaults is not { Length: > 0 })
        {
            return RawJson.FromTrusted(body);
        }

        // The body's members between its braces, kept byte for byte after the defaults it does not override.
        ReadOnlySpan<byte> members = span[1..^1].Trim(" \t\r\n"u8);
        return Write(defaults, names, members);
    }

    private static int FirstInvalidByte(ReadOnlySpan<byte> utf8)
    {
        int offset = 0;
        while (Rune.DecodeFromUtf8(utf8[offset..], out _, out int consumed) == OperationStatus.Done)
        {
            offset += consumed;
        }

        return offset;
    }

    private static RawJson Write(Parameter[] defaults, HashSet<string> overridden, ReadOnlySpan<byte> members)
    {
        var output = new ArrayBufferWriter<byte>(members.Length + 64);
        var writer = new JsonWriter(output);
        writer.WriteByte((byte)'{');
        bool first = true;
        foreach (Parameter parameter in defaults)
        {
            if (overridden.Contains(parameter.Key))
            {
                continue;
            }

            if (!first)
            {
                writer.WriteByte((byte)',');
            }

            first = false;
            writer.WriteString(parameter.Key);
            writer.WriteByte((byte)':');
            parameter.Value.WriteJson(ref writer);
        }

        if (!members.IsEmpty)
        {
            if (!first)
            {
                writer.WriteByte((byte)',');
            }

            writer.WriteRaw(members);
        }

        writer.WriteByte((byte)'}');
        writer.Flush();
        return RawJson.FromTrusted(output.WrittenMemory);
    }
}
