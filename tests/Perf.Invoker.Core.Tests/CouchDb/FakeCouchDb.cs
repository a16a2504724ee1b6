using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Perf.Invoker.CouchDb;

namespace Perf.Invoker.Tests.CouchDb;

/// <summary>One request as the fake saw it: the raw target (path and query, encoding kept) and its If-Match header.</summary>
internal sealed record FakeCouchRequest(string Method, string Target, string? IfMatch, string? Authorization);

/// <summary>
/// A CouchDB on loopback that answers what a test scripted, byte for byte, per raw request target (so
/// <c>guest%2Fpkg%2Fhello</c> is one document id, as CouchDB reads it); anything else is CouchDB's 404.
/// </summary>
internal sealed class FakeCouchDb : IAsyncDisposable
{
    private const string Missing = """{"error":"not_found","reason":"missing"}""";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, (int Status, byte[] Body)> _answers = new(StringComparer.Ordinal);

    private int _disposed;

    private FakeCouchDb(WebApplication app) => _app = app;

    public ConcurrentQueue<FakeCouchRequest> Requests { get; } = new();

    /// <summary>When set, every answer waits for it: requests pile up while a test looks at them.</summary>
    public TaskCompletionSource? Gate { get; set; }

    public Uri Server { get; private set; } = null!;

    public static async Task<FakeCouchDb> StartAsync()
    {
        WebApplication app = LoopbackServer.Build();
        var fake = new FakeCouchDb(app);
        app.Run(fake.AnswerAsync);
        await app.StartAsync();
        fake.Server = LoopbackServer.AddressOf(app);
        return fake;
    }

    public void Answer(string target, int status, string body) => _answers[target] = (status, Encoding.UTF8.GetBytes(body));

    public void Answer(string target, int status, byte[] body) => _answers[target] = (status, body);

    public CouchDbClient Client() => new(new CouchDbOptions { Server = Server, Username = "invoker0", Password = "secret" });

    public int CountOf(string target) => Requests.Count(r => r.Target == target);

    /// <summary>Stops answering; a second call does nothing (a test may stop the server before its teardown does).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await _app.DisposeAsync();
        }
    }

    private async Task AnswerAsync(HttpContext context)
    {
        string target = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        Requests.Enqueue(new FakeCouchRequest(context.Request.Method, target, context.Request.Headers.IfMatch.FirstOrDefault(), context.Request.Headers.Authorization.FirstOrDefault()));
        if (Gate is { } gate)
        {
            await gate.Task;
        }

        (int status, byte[] body) = _answers.TryGetValue(target, out var answer) ? answer : (404, Encoding.UTF8.GetBytes(Missing));
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(body);
    }
}
