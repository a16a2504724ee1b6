using System.Buffers;
using Perf.Invoker.Json;
using Perf.Invoker.Model;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// How the REST API answers: JSON written straight into the response's pipe with the project's generated
/// serializers (no reflection, so Native AOT keeps it), and OpenWhisk's error body.
/// </summary>
internal static class ApiResponses
{
    /// <summary>The status and JSON content type, before a body is written into <see cref="HttpResponse.BodyWriter"/>.</summary>
    public static void Start(HttpContext context, int status)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
    }

    public static async Task WriteAsync<T>(HttpContext context, int status, T value) where T : IJsonValue<T>
    {
        Start(context, status);
        JsonModel.Write(context.Response.BodyWriter, value);
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    /// <summary>JSON kept as it was stored, an action's result, written without reading it again.</summary>
    public static async Task WriteRawAsync(HttpContext context, int status, RawJson json)
    {
        Start(context, status);
        await context.Response.BodyWriter.WriteAsync(json.Utf8, context.RequestAborted);
    }

    /// <summary>A 200 JSON array, each item written as it is selected rather than collected first.</summary>
    public static async Task WriteArrayAsync<TItem, T>(HttpContext context, IReadOnlyList<TItem> items, Func<TItem, T> select) where T : IJsonValue<T>
    {
        Start(context, StatusCodes.Status200OK);
        IBufferWriter<byte> output = context.Response.BodyWriter;
        output.Write("["u8);
        for (int i = 0; i < items.Count; i++)
        {
            if (i > 0)
            {
                output.Write(","u8);
            }

            JsonModel.Write(output, select(items[i]));
        }

        output.Write("]"u8);
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    /// <summary>200 <c>{"COLLECTION":N}</c>, a list's answer to <c>count=true</c>.</summary>
    public static async Task WriteCountAsync(HttpContext context, string collection, long count)
    {
        Start(context, StatusCodes.Status200OK);
        var writer = new JsonWriter(context.Response.BodyWriter);
        writer.WriteByte((byte)'{');
        writer.WriteString(collection);
        writer.WriteByte((byte)':');
        writer.WriteInt64(count);
        writer.WriteByte((byte)'}');
        writer.Flush();
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    /// <summary>202 <c>{"activationId":"…"}</c>: the activation is durable, its outcome is not known yet.</summary>
    public static Task WriteActivationIdAsync(HttpContext context, ActivationId id) =>
        WriteAsync(context, StatusCodes.Status202Accepted, new ActivationIdDocument { ActivationId = id });

    /// <summary>OpenWhisk's error body: the message and a code to quote when reporting it.</summary>
    public static Task ErrorAsync(HttpContext context, int status, string message) =>
        WriteAsync(context, status, new ErrorDocument { Error = message, Code = context.TraceIdentifier });
}
