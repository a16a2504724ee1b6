using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// A web action's input, as OpenWhisk's controller builds it from the HTTP request (WebActions.scala, Context): the
/// <c>__ow_method</c>, <c>__ow_headers</c>, <c>__ow_path</c> (and <c>__ow_user</c> for an authenticated caller) members,
/// then the query parameters and a JSON or form body's members (the body wins), or an opaque body as <c>__ow_body</c>.
/// A <c>raw-http</c> action gets the query string as <c>__ow_query</c> and the body as <c>__ow_body</c> instead:
/// base64 for binary and JSON content, text otherwise.
/// </summary>
internal static class WebActionContent
{
    public const string ParametersNotAllowed = "Request defines parameters that are not allowed (e.g., reserved properties).";

    private static readonly string[] s_reserved = ["__ow_method", "__ow_headers", "__ow_path", "__ow_user", "__ow_query", "__ow_body"];

    /// <summary>
    /// The content, or null with the status and error to answer: 400 for a JSON body that is not JSON, or for query or
    /// body parameters that would override a reserved one or one of <paramref name="finalParameters"/>.
    /// </summary>
    public static byte[]? Build(
        HttpRequest request, byte[] body, bool raw, string path, string? user, IEnumerable<KeyValuePair<string, string>> addedHeaders,
        IReadOnlyCollection<string> finalParameters, out string? error)
    {
        error = null;
        var output = new ArrayBufferWriter<byte>(body.Length + 512);
        using var writer = new Utf8JsonWriter(output);
        writer.WriteStartObject();
        writer.WriteString("__ow_method", request.Method.ToLowerInvariant());
        writer.WriteStartObject("__ow_headers");
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues> header in request.Headers)
        {
            // The length is the entity's, not a header, in the controller's model of the request.
            if (!header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                headers[header.Key.ToLowerInvariant()] = header.Value.ToString();
            }
        }

        foreach (KeyValuePair<string, string> header in addedHeaders)
        {
            headers[header.Key.ToLowerInvariant()] = header.Value;
        }

        foreach (KeyValuePair<string, string> header in headers)
        {
            writer.WriteString(header.Key, header.Value);
        }

        writer.WriteEndObject();
        writer.WriteString("__ow_path", path);
        if (user is not null)
        {
            writer.WriteString("__ow_user", user);
        }

        if (raw)
        {
            writer.WriteString("__ow_query", request.QueryString.HasValue ? request.QueryString.Value![1..] : "");
            writer.WriteString("__ow_body", body.Length == 0 ? "" : IsText(request.ContentType) && MediaType(request.ContentType) != "application/json" ? Encoding.UTF8.GetString(body) : Convert.ToBase64String(body));
            writer.WriteEndObject();
            writer.Flush();
            return output.WrittenSpan.ToArray();
        }

        // The body's own members, when it is a JSON object or a form; otherwise the body itself under __ow_body.
        Dictionary<string, JsonElement>? members = null;
        Dictionary<string, string>? form = null;
        JsonElement? opaque = null;
        string? text = null;
        if (body.Length > 0)
        {
            if (IsJson(request.ContentType))
            {
                try
                {
                    using var document = JsonDocument.Parse(body);
                    if (document.RootElement.ValueKind == JsonValueKind.Object)
                    {
                        members = [];
                        foreach (JsonProperty property in document.RootElement.EnumerateObject())
                        {
                            members[property.Name] = property.Value.Clone();
                        }
                    }
                    else
                    {
                        opaque = document.RootElement.Clone();
                    }
                }
                catch (JsonException e)
                {
                    error = ApiErrors.Malformed(e.Message);
                    return null;
                }
            }
            else if (MediaType(request.ContentType) == "application/x-www-form-urlencoded")
            {
                form = [];
                foreach (KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues> field in QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body)))
                {
                    form[field.Key] = field.Value[^1] ?? "";
                }
            }
            else
            {
                text = IsText(request.ContentType) ? Encoding.UTF8.GetString(body) : Convert.ToBase64String(body);
            }
        }

        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues> parameter in request.Query)
        {
            query[parameter.Key] = parameter.Value[^1] ?? "";
        }

        IEnumerable<string> given = query.Keys.Concat(members?.Keys ?? Enumerable.Empty<string>()).Concat(form?.Keys ?? Enumerable.Empty<string>());
        if (given.Any(name => s_reserved.Contains(name) || finalParameters.Contains(name)))
        {
            error = ParametersNotAllowed;
            return null;
        }

        foreach (KeyValuePair<string, string> parameter in query)
        {
            if (members?.ContainsKey(parameter.Key) != true && form?.ContainsKey(parameter.Key) != true)
            {
                writer.WriteString(parameter.Key, parameter.Value);
            }
        }

        foreach (KeyValuePair<string, JsonElement> member in members ?? [])
        {
            writer.WritePropertyName(member.Key);
            member.Value.WriteTo(writer);
        }

        foreach (KeyValuePair<string, string> field in form ?? [])
        {
            writer.WriteString(field.Key, field.Value);
        }

        if (opaque is { } value)
        {
            writer.WritePropertyName("__ow_body");
            value.WriteTo(writer);
        }
        else if (text is not null)
        {
            writer.WriteString("__ow_body", text);
        }

        writer.WriteEndObject();
        writer.Flush();
        return output.WrittenSpan.ToArray();
    }

    /// <summary>The media type alone, lower case: <c>text/plain; charset=utf-8</c> is <c>text/plain</c>.</summary>
    public static string MediaType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            // A body without a type is octets, as the controller's HTTP layer reads it.
            return "application/octet-stream";
        }

        int semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        return (semicolon < 0 ? contentType : contentType[..semicolon]).Trim().ToLowerInvariant();
    }

    /// <summary>application/json or any <c>+json</c> type (OpenWhisk's isJsonFamily).</summary>
    public static bool IsJson(string? contentType) => MediaType(contentType) is var type && (type == "application/json" || type.EndsWith("+json", StringComparison.Ordinal));

    /// <summary>
    /// Whether the type's content is text (kept as a string) rather than binary (base64): text/*, JSON and XML families,
    /// JavaScript and forms, as akka-http classifies media types; everything else is binary.
    /// </summary>
    public static bool IsText(string? contentType)
    {
        string type = MediaType(contentType);
        return type.StartsWith("text/", StringComparison.Ordinal) || IsJson(type) || type == "application/xml" || type.EndsWith("+xml", StringComparison.Ordinal)
            || type == "application/javascript" || type == "application/x-www-form-urlencoded";
    }
}
