using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Perf.Invoker.CouchDb;

namespace Perf.Invoker.Tests.CouchDb;

/// <summary>
/// The two CouchDB calls of the activation store, answered by a real Kestrel on 127.0.0.1: <c>POST /{db}/_bulk_docs</c>
/// (a row per document, in order unless <see cref="ReverseRows"/>: <c>ok</c>, or <c>conflict</c> when the id exists, the first document kept) and
/// <c>GET /{db}/{id}</c> (the document, or 404). Scripted: failed answers ahead of the normal ones, a row error per id,
/// and a gate that holds every bulk request until opened.
/// </summary>
internal sealed class FakeActivationsDb : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeActivationsDb(WebApplication app, Uri server)
    {
        _app = app;
        Server = server;
    }

    public Uri Server { get; }

    /// <summary>The database's documents by <c>_id</c>, as they were sent.</summary>
    public ConcurrentDictionary<string, string> Documents { get; } = new();

    /// <summary>Every <c>_bulk_docs</c> body, in the order received.</summary>
    public ConcurrentQueue<string> BulkBodies { get; } = new();

    /// <summary>Every path asked for with GET.</summary>
    public ConcurrentQueue<string> Gets { get; } = new();

    /// <summary>Status codes to answer the next bulk requests with (nothing stored), before answering normally.</summary>
    public ConcurrentQueue<int> FailNext { get; } = new();

    /// <summary>A request with more documents than this is answered 413, as CouchDB answers a request over its size limit.</summary>
    public int TooLargeAbove { get; set; } = int.MaxValue;

    /// <summary>Documents whose row gets this error (and which are not stored) while the entry is there.</summary>
    public ConcurrentDictionary<string, string> RowErrors { get; } = new();

    /// <summary>Answers the rows of a bulk request last document first, as pouchdb-server sometimes reorders them.</summary>
    public bool ReverseRows { get; set; }

    /// <summary>While not completed, every bulk request waits for it once received (and counted in <see cref="BulkBodies"/>).</summary>
    public TaskCompletionSource Gate { get; set; } = CompletedGate();

    public static async Task<FakeActivationsDb> StartAsync()
    {
        WebApplication app = LoopbackServer.Build();
        FakeActivationsDb? self = null;
        app.Run(context => self!.AnswerAsync(context));
        await app.StartAsync();
        self = new FakeActivationsDb(app, LoopbackServer.AddressOf(app));
        return self;
    }

    public CouchDbClient Client(int maxConnections = 16) => new(new CouchDbOptions
    {
        Server = Server,
        Username = "invoker0",
        Password = "secret",
        ActivationDatabase = "whisk_local_activations",
        MaxConnections = maxConnections,
    });

    public static TaskCompletionSource ClosedGate() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask DisposeAsync()
    {
        Gate.TrySetResult();
        await _app.StopAsync(new CancellationToken(canceled: true));
        await _app.DisposeAsync();
    }

    private static TaskCompletionSource CompletedGate()
    {
        TaskCompletionSource open = ClosedGate();
        open.SetResult();
        return open;
    }

    private async Task AnswerAsync(HttpContext context)
    {
        // Path segments unescaped one by one: a document id's slash travels as %2F.
        string[] segments = [.. context.Request.Path.Value!.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString)];
        if (segments is not ["whisk_local_activations", ..] || context.Request.Headers.Authorization.Count != 1)
        {
            await WriteAsync(context, 400, """{"error":"bad_request"}""");
            return;
        }

        if (HttpMethods.IsPost(context.Request.Method) && segments is [_, "_bulk_docs"])
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            string body = await reader.ReadToEndAsync();
            BulkBodies.Enqueue(body);
            await Gate.Task.WaitAsync(context.RequestAborted);
            if (FailNext.TryDequeue(out int status))
            {
                await WriteAsync(context, status, """{"error":"unknown","reason":"scripted"}""");
                return;
            }

            using JsonDocument request = JsonDocument.Parse(body);
            JsonElement docs = request.RootElement.GetProperty("docs");
            await (docs.GetArrayLength() > TooLargeAbove
                ? WriteAsync(context, 413, """{"error":"document_too_large","reason":""}""")
                : WriteAsync(context, 201, BulkDocs(docs)));
            return;
        }

        if (HttpMethods.IsGet(context.Request.Method) && segments is [_, string id])
        {
            Gets.Enqueue(id);
            await (Documents.TryGetValue(id, out string? document)
                ? WriteAsync(context, 200, document)
                : WriteAsync(context, 404, """{"error":"not_found","reason":"missing"}"""));
            return;
        }

        await WriteAsync(context, 405, """{"error":"method_not_allowed"}""");
    }

    private string BulkDocs(JsonElement docs)
    {
        var rows = new List<string>();
        foreach (JsonElement doc in docs.EnumerateArray())
        {
            string id = doc.GetProperty("_id").GetString()!;
            if (RowErrors.TryGetValue(id, out string? error))
            {
                rows.Add($$"""{"id":{{JsonSerializer.Serialize(id)}},"error":"{{error}}","reason":"scripted"}""");
            }
            else if (Documents.TryAdd(id, doc.GetRawText()))
            {
                rows.Add($$"""{"ok":true,"id":{{JsonSerializer.Serialize(id)}},"rev":"1-abc"}""");
            }
            else
            {
                rows.Add($$"""{"id":{{JsonSerializer.Serialize(id)}},"error":"conflict","reason":"Document update conflict."}""");
            }
        }

        if (ReverseRows)
        {
            rows.Reverse();
        }

        return "[" + string.Join(",", rows) + "]";
    }

    private static async Task WriteAsync(HttpContext context, int status, string json)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(json);
    }
}
