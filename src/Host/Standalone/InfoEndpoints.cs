using System.Buffers;
using Perf.Invoker.Json;
using Perf.Invoker.Model;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// OpenWhisk's information documents, read without a key by clients (aio, wsk) before anything else: <c>GET /</c> (the
/// controller's <c>info</c>: description, support, api_paths, limits, runtimes) and <c>GET /api/v1</c> (the API
/// version's). Made once: nothing in them changes while the invoker runs.
/// </summary>
internal sealed class InfoEndpoints
{
    /// <summary>OpenWhisk's default per-namespace throttles (whisk.limits), which its info document reports.</summary>
    private const int ActionsPerMinute = 60;
    private const int TriggersPerMinute = 60;
    private const int ConcurrentActions = 30;

    /// <summary>OpenWhisk's default limit on a sequence's length (whisk.action.sequence.max-length).</summary>
    private const int SequenceLength = 50;

    private const long Megabyte = 1024 * 1024;

    private readonly byte[] _root;
    private readonly byte[] _apiVersion;

    public InfoEndpoints()
    {
        _root = Write(static (ref JsonWriter writer) =>
        {
            writer.WriteRaw("""{"description":"OpenWhisk","support":{"github":"https://github.com/apache/openwhisk/issues","slack":"http://slack.openwhisk.org"},"api_paths":["/api/v1"],"limits":{"actions_per_minute":"""u8);
            writer.WriteInt64(ActionsPerMinute);
            Member(ref writer, "triggers_per_minute", TriggersPerMinute);
            Member(ref writer, "concurrent_actions", ConcurrentActions);
            Member(ref writer, "sequence_length", SequenceLength);
            Member(ref writer, "min_action_duration", ActionValidation.MinTimeoutMillis);
            Member(ref writer, "max_action_duration", ActionValidation.MaxTimeoutMillis);
            Member(ref writer, "min_action_memory", ActionValidation.MinMemoryMegabytes * Megabyte);
            Member(ref writer, "max_action_memory", ActionValidation.MaxMemoryMegabytes * Megabyte);
            Member(ref writer, "min_action_logs", 0);
            Member(ref writer, "max_action_logs", ActionValidation.MaxLogsMegabytes * Megabyte);
            writer.WriteRaw("""},"runtimes":{"nodejs":["""u8);
            // The runtimes this invoker runs: every nodejs kind of the built-in manifest, on its own Node.js runtime.
            RuntimeManifest manifest = RuntimeManifest.Local;
            string? defaultKind = manifest.ResolveKind("nodejs:default");
            bool first = true;
            foreach (string kind in manifest.Kinds)
            {
                writer.WriteRaw(first ? """{"kind":"""u8 : """,{"kind":"""u8);
                first = false;
                writer.WriteString(kind);
                writer.WriteRaw(""","image":"""u8);
                writer.WriteString(manifest.Images()[kind]);
                writer.WriteRaw(""","deprecated":false,"default":"""u8);
                writer.WriteBoolean(kind == defaultKind);
                writer.WriteRaw(""","attached":false,"requireMain":false}"""u8);
            }

            writer.WriteRaw("]}}"u8);
        });
        _apiVersion = Write(static (ref JsonWriter writer) => writer.WriteRaw(
            """{"description":"OpenWhisk API","api_version":"1.0.0","api_version_path":"v1","build":"","buildno":"","swagger_paths":{"ui":"/docs","api-docs":"/api-docs"}}"""u8));
    }

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", context => WriteAsync(context, _root));
        app.MapGet("/api/v1", context => WriteAsync(context, _apiVersion));
    }

    private static async Task WriteAsync(HttpContext context, byte[] document)
    {
        ApiResponses.Start(context, StatusCodes.Status200OK);
        await context.Response.BodyWriter.WriteAsync(document, context.RequestAborted);
    }

    private static void Member(ref JsonWriter writer, string name, long value)
    {
        writer.WriteByte((byte)',');
        writer.WriteString(name);
        writer.WriteByte((byte)':');
        writer.WriteInt64(value);
    }

    private delegate void Writing(ref JsonWriter writer);

    private static byte[] Write(Writing write)
    {
        var output = new ArrayBufferWriter<byte>(1024);
        var writer = new JsonWriter(output);
        write(ref writer);
        writer.Flush();
        return output.WrittenSpan.ToArray();
    }
}
