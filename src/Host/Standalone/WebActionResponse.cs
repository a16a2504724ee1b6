using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// A web action's result as an HTTP response, by the extension of its URL, as OpenWhisk's controller answers
/// (WebActions.scala, the media transcoders): <c>.http</c> (the default) reads <c>statusCode</c>, <c>headers</c> and
/// <c>body</c>, a binary content type's body base64; <c>.json</c> the object or array; <c>.html</c>, <c>.svg</c>,
/// <c>.text</c> the <c>body</c> member (or <c>html</c>, <c>svg</c>, <c>text</c>) or the result itself. Each answers 400
/// with OpenWhisk's words when the result does not fit.
/// </summary>
internal static class WebActionResponse
{
    /// <summary>The extensions OpenWhisk knows, each with what answers it; no extension is <c>.http</c>.</summary>
    public static readonly string[] Extensions = [".http", ".json", ".html", ".svg", ".text"];

    public const string PropertyNotFound = "Response does not include requested property.";
    public const string UnknownContentType = "Response did not specify a known content-type.";
    public const string ContentTypeMismatch = "Response type in header did not match generated content type.";

    public static string InvalidMedia(string mediaType) => $"Response is not valid '{mediaType}'.";

    /// <summary>Answers <paramref name="result"/> (the whole result, or an application error's <c>error</c> member) as <paramref name="extension"/> asks.</summary>
    public static Task WriteAsync(HttpContext context, string extension, JsonNode? result) => extension switch
    {
        ".json" => result is JsonObject or JsonArray
            ? BytesAsync(context, StatusCodes.Status200OK, "application/json", Serialize(result, indented: false))
            : ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, InvalidMedia("application/json")),
        ".html" => Member(result, "html") is JsonValue html && html.TryGetValue(out string? page)
            ? BytesAsync(context, StatusCodes.Status200OK, "text/html; charset=UTF-8", Encoding.UTF8.GetBytes(page))
            : ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, InvalidMedia("text/html")),
        ".svg" => Member(result, "svg") is JsonValue svg && svg.TryGetValue(out string? image)
            ? BytesAsync(context, StatusCodes.Status200OK, "image/svg+xml", Encoding.UTF8.GetBytes(image))
            : ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, InvalidMedia("image/svg+xml")),
        ".text" => TextAsync(context, result),
        _ => HttpAsync(context, result),
    };

    /// <summary>An object's <c>body</c> member, else its <paramref name="name"/> member; anything else is itself.</summary>
    private static JsonNode? Member(JsonNode? result, string name) =>
        result is JsonObject fields ? (fields.TryGetPropertyValue("body", out JsonNode? body) ? body : fields[name]) : result;

    private static Task TextAsync(HttpContext context, JsonNode? result)
    {
        JsonNode? text;
        if (result is JsonObject fields)
        {
            if (!fields.TryGetPropertyValue("body", out text) && !fields.TryGetPropertyValue("text", out text))
            {
                return ApiResponses.ErrorAsync(context, StatusCodes.Status404NotFound, PropertyNotFound);
            }
        }
        else
        {
            text = result;
        }

        string answer = text switch
        {
            null => "null",
            JsonObject or JsonArray => Encoding.UTF8.GetString(Serialize(text, indented: true)),
            JsonValue value when value.TryGetValue(out string? s) => s,
            _ => text.ToJsonString(),
        };
        return BytesAsync(context, StatusCodes.Status200OK, "text/plain; charset=UTF-8", Encoding.UTF8.GetBytes(answer));
    }

    private static Task HttpAsync(HttpContext context, JsonNode? result)
    {
        if (result is not JsonObject fields || !TryHeaders(fields, out List<KeyValuePair<string, string>>? headers) || !TryStatus(fields, out int? status))
        {
            return ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, InvalidMedia("message/http"));
        }

        fields.TryGetPropertyValue("body", out JsonNode? body);
        string? contentType = headers.FindLast(h => h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)).Value;
        if (body is null || (body is JsonValue empty && empty.TryGetValue(out string? none) && none.Length == 0))
        {
            // No entity: a content type in the headers is dropped, as it could not describe it.
            AddHeaders(context, headers);
            context.Response.StatusCode = status ?? StatusCodes.Status204NoContent;
            return Task.CompletedTask;
        }

        if (body is JsonValue value && value.TryGetValue(out string? text))
        {
            contentType ??= "text/html";
            if (!contentType.Contains('/', StringComparison.Ordinal))
            {
                return ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, UnknownContentType);
            }

            byte[] bytes;
            // A JSON type's body that is base64 stays decoded, as OpenWhisk keeps it for web actions written before binary types.
            if ((WebActionContent.IsJson(contentType) && IsBase64(text)) || !WebActionContent.IsText(contentType))
            {
                try
                {
                    bytes = Convert.FromBase64String(text);
                }
                catch (FormatException)
                {
                    return ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, ContentTypeMismatch);
                }
            }
            else
            {
                bytes = Encoding.UTF8.GetBytes(text);
            }

            if (WebActionContent.MediaType(contentType).StartsWith("text/", StringComparison.Ordinal) && !contentType.Contains("charset", StringComparison.OrdinalIgnoreCase))
            {
                contentType += "; charset=UTF-8";
            }

            AddHeaders(context, headers);
            return BytesAsync(context, status ?? StatusCodes.Status200OK, contentType, bytes);
        }

        // Any other JSON body is JSON, in a JSON content type.
        contentType ??= "application/json";
        if (!WebActionContent.IsJson(contentType))
        {
            return ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, ContentTypeMismatch);
        }

        AddHeaders(context, headers);
        return BytesAsync(context, status ?? StatusCodes.Status200OK, contentType, Serialize(body, indented: false));
    }

    /// <summary>The <c>headers</c> member: strings, booleans and numbers, or arrays of them for a header given more than once.</summary>
    private static bool TryHeaders(JsonObject fields, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out List<KeyValuePair<string, string>>? headers)
    {
        headers = [];
        if (!fields.TryGetPropertyValue("headers", out JsonNode? node) || node is null)
        {
            return true;
        }

        if (node is not JsonObject members)
        {
            return false;
        }

        foreach (KeyValuePair<string, JsonNode?> member in members)
        {
            if (!AddHeader(headers, member.Key, member.Value))
            {
                return false;
            }
        }

        return true;
    }

    private static bool AddHeader(List<KeyValuePair<string, string>> headers, string name, JsonNode? value)
    {
        switch (value)
        {
            case JsonArray values:
                return values.All(v => AddHeader(headers, name, v));
            case JsonValue scalar when scalar.GetValueKind() is JsonValueKind.String:
                headers.Add(new(name, scalar.GetValue<string>()));
                return true;
            case JsonValue scalar when scalar.GetValueKind() is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                headers.Add(new(name, scalar.ToJsonString()));
                return true;
            default:
                return false;
        }
    }

    /// <summary>The <c>statusCode</c> member: a whole number or a string of one, a valid HTTP status.</summary>
    private static bool TryStatus(JsonObject fields, out int? status)
    {
        status = null;
        if (!fields.TryGetPropertyValue("statusCode", out JsonNode? node))
        {
            return true;
        }

        int code;
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue(out int number))
        {
            code = number;
        }
        else if (node is JsonValue text && text.TryGetValue(out string? digits) && int.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int parsed))
        {
            code = parsed;
        }
        else
        {
            return false;
        }

        status = code;
        return code is >= 100 and <= 599;
    }

    private static void AddHeaders(HttpContext context, List<KeyValuePair<string, string>> headers)
    {
        foreach (KeyValuePair<string, string> header in headers)
        {
            if (!header.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.Headers.Append(header.Key, header.Value);
            }
        }
    }

    /// <summary>OpenWhisk's Exec.isBinaryCode: trimmed, a multiple of 4 long, only the base64 alphabet with its padding.</summary>
    private static bool IsBase64(string text)
    {
        string trimmed = text.Trim();
        return trimmed.Length > 0 && trimmed.Length % 4 == 0 && Convert.TryFromBase64String(trimmed, new byte[trimmed.Length], out _);
    }

    private static byte[] Serialize(JsonNode? node, bool indented)
    {
        var output = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = indented }))
        {
            if (node is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                node.WriteTo(writer);
            }
        }

        return output.WrittenSpan.ToArray();
    }

    private static async Task BytesAsync(HttpContext context, int status, string contentType, byte[] bytes)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }
}
