using System.Text;
using Perf.Invoker.Host.Standalone;
using Perf.Invoker.Invocation;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Fuzz;

/// <summary>
/// The REST API's reading of a request (src/Host/Standalone: <see cref="RequestReader"/>, <see cref="InvocationContent"/>)
/// over a <see cref="DefaultHttpContext"/>, without Kestrel. Input: a query string, a line break, the action's name, a line
/// break, the body of the PUT that creates the action, a line break, and the body of the POST that invokes it. The query's
/// bytes outside printable ASCII are percent-encoded, as a client must send them. The names, paging and flags read or are
/// refused with a message; a body over the limit is a 413; an action that reads and validates is invoked, and when the
/// merge of its default parameters with the invocation's accepts the body, the activation message made of them must read
/// back, with that content, as the feed reads it (docs/standalone.md: what the API accepts, an activation can carry).
/// </summary>
public static class ApiRequestHarness
{
    /// <summary>A small limit, so that fuzzed bodies also take the 413 path.</summary>
    private const int BodyLimit = 4096;

    private static readonly ActionValidation s_validation = new(new ConcurrencyRange());

    private static readonly ActivationFactory s_factory = new(TimeProvider.System);

    private static readonly NamespaceKey s_key = new("guest", "23bc46b1-71f6-4ed5-8c54-816aa4f8c502", "key");

    public static void Run(ReadOnlyMemory<byte> input)
    {
        ReadOnlyMemory<byte> query = Line(ref input);
        ReadOnlyMemory<byte> name = Line(ref input);
        ReadOnlyMemory<byte> put = Line(ref input);
        HttpContext context = Request(query, name, put);

        bool named = RequestReader.TryName(context, out string actionName);
        string?[] errors = new string?[6];
        bool[] read =
        [
            RequestReader.TryPaging(context, out int limit, out int skip, out errors[0]),
            RequestReader.TryFlag(context.Request.Query, "overwrite", out _, out errors[1]),
            RequestReader.TryFlag(context.Request.Query, "code", out _, out errors[2], absent: true),
            RequestReader.TryFlag(context.Request.Query, "blocking", out bool blocking, out errors[3]),
            RequestReader.TryFlag(context.Request.Query, "result", out _, out errors[4]),
        ];
        for (int i = 0; i < read.Length; i++)
        {
            ContractViolation.Unless(read[i] == (errors[i] is null), $"query reading {i}: {read[i]} with error '{errors[i]}'");
        }

        ContractViolation.Unless(!read[0] || (limit is > 0 and <= RequestReader.MaxListLimit && skip >= 0), $"paging limit {limit}, skip {skip}");

        if (ReadBody(context, put.Length) is not { } putBody || !JsonContract.TryRead(putBody, out ActionSpec? spec) || s_validation.Check(spec) is not null)
        {
            return;
        }

        var action = new StoredAction(s_key.Namespace, named ? actionName : "hello", 1, spec);
        if (ReadBody(Request(query, name, input), input.Length) is null)
        {
            return;
        }

        RawJson? content = InvocationContent.Merge(spec.Parameters, input, out string? malformed);
        ContractViolation.Unless(content is null == malformed is not null, $"merged: {content is not null}, error: '{malformed}'");
        if (content is not { } merged)
        {
            return;
        }

        ContractViolation.Unless(JsonContract.TryRead(merged.Utf8, out RawJson _, InvocationContent.MaxDepth), $"merged parameters that are not JSON: {merged}");
        ActivationMessage message = s_factory.Create(action, s_key, merged, blocking);
        byte[] serialized = JsonModel.ToUtf8Bytes(message);
        if (serialized.Length > ActivationMessageHandler.MaxMessageBytes)
        {
            return;
        }

        if (!JsonContract.TryRead(serialized, out ActivationMessage? queued))
        {
            throw new ContractViolation($"an accepted invocation whose message does not read: {Encoding.UTF8.GetString(serialized)}");
        }

        ContractViolation.Unless(queued.Content is { } carried && carried.Utf8.Span.SequenceEqual(merged.Utf8.Span), "the message carries other parameters than were merged");
    }

    /// <summary>The bytes up to the next line break (consumed with it), or all that is left.</summary>
    private static ReadOnlyMemory<byte> Line(ref ReadOnlyMemory<byte> input)
    {
        int end = input.Span.IndexOf((byte)'\n');
        ReadOnlyMemory<byte> line = end < 0 ? input : input[..end];
        input = end < 0 ? ReadOnlyMemory<byte>.Empty : input[(end + 1)..];
        return line;
    }

    private static HttpContext Request(ReadOnlyMemory<byte> query, ReadOnlyMemory<byte> name, ReadOnlyMemory<byte> body)
    {
        var context = new DefaultHttpContext();
        context.Request.QueryString = new QueryString("?" + PercentEncoded(query.Span));
        // Kestrel hands the route its path segment decoded.
        context.Request.RouteValues["name"] = Encoding.UTF8.GetString(name.Span);
        context.Request.Body = new MemoryStream(body.ToArray());
        return context;
    }

    /// <summary>The body, or null when the API answered 413.</summary>
    private static byte[]? ReadBody(HttpContext context, int length)
    {
        byte[]? body = RequestReader.ReadBodyAsync(context, BodyLimit).GetAwaiter().GetResult();
        ContractViolation.Unless(body is null == length > BodyLimit, $"a body of {length} bytes read as {body?.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "413"}");
        ContractViolation.Unless(body is not null || context.Response.StatusCode == StatusCodes.Status413PayloadTooLarge, $"refused with {context.Response.StatusCode}");
        return body;
    }

    private static string PercentEncoded(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length);
        foreach (byte b in bytes)
        {
            if (b is > 0x20 and < 0x7F and not (byte)'#')
            {
                text.Append((char)b);
            }
            else
            {
                text.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return text.ToString();
    }
}
