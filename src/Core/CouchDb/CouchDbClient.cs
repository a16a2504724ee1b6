using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace Perf.Invoker.CouchDb;

/// <summary>
/// The invoker's few CouchDB calls (docs/cluster.md): read a document, read an attachment, write a batch with
/// <c>_bulk_docs</c>, read a view. Every request carries Basic credentials and <c>Accept: application/json</c>, as
/// OpenWhisk's CouchDbRestClient sends them. CouchDB is off the hot path (actions are cached by revision, records go in
/// batches), so this is SocketsHttpHandler with a bounded pool, not the hand-rolled transport of the action protocol.
/// </summary>
public sealed class CouchDbClient : IDisposable
{
    private readonly HttpClient _http;

    public CouchDbClient(CouchDbOptions options)
        : this(options, CreateHandler(options))
    {
    }

    /// <summary>Over another handler: the fuzz harness (tests/Perf.Invoker.Fuzz) answers documents from memory, without a socket.</summary>
    internal CouchDbClient(CouchDbOptions options, HttpMessageHandler handler)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        _http = new HttpClient(handler) { BaseAddress = options.Server, Timeout = options.RequestTimeout };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.Username}:{options.Password}")));
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    public CouchDbOptions Options { get; }

    private static SocketsHttpHandler CreateHandler(CouchDbOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.MaxConnections,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            UseProxy = false,
        };
    }

    /// <summary><c>GET /{db}/{id}</c>; with <paramref name="revision"/>, an <c>If-Match</c> header as OpenWhisk sends it (the caller checks <c>_rev</c>).</summary>
    public Task<CouchDbResponse> GetDocumentAsync(string database, string id, string? revision, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, $"{Segment(database)}/{Segment(id)}", revision, content: null, cancellationToken);

    /// <summary><c>GET /{db}/{id}/{name}</c> with <c>If-Match: "rev"</c>: an action's code kept as an attachment.</summary>
    public Task<CouchDbResponse> GetAttachmentAsync(string database, string id, string name, string? revision, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, $"{Segment(database)}/{Segment(id)}/{Segment(name)}", revision, content: null, cancellationToken);

    /// <summary><c>POST /{db}/_bulk_docs</c> with <c>{"docs":[…]}</c>; the answer has one row per document (CouchDB's in order, pouchdb-server's not always).</summary>
    public Task<CouchDbResponse> BulkDocsAsync(string database, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, $"{Segment(database)}/_bulk_docs", revision: null, Json(body), cancellationToken);

    /// <summary>A GET of a path relative to the server (a view with its query), given already encoded.</summary>
    public Task<CouchDbResponse> GetAsync(string relativePath, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, relativePath, revision: null, content: null, cancellationToken);

    /// <summary>A PUT of a path relative to the server, given already encoded: a database, a document.</summary>
    public Task<CouchDbResponse> PutAsync(string relativePath, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Put, relativePath, revision: null, Json(body), cancellationToken);

    /// <summary>One path segment: a document id such as <c>guest/pkg/hello</c> is one segment, its slashes encoded.</summary>
    public static string Segment(string value) => Uri.EscapeDataString(value);

    public void Dispose() => _http.Dispose();

    private static ReadOnlyMemoryContent Json(ReadOnlyMemory<byte> body)
    {
        var content = new ReadOnlyMemoryContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private async Task<CouchDbResponse> SendAsync(HttpMethod method, string path, string? revision, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (revision is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", $"\"{revision}\"");
        }

        try
        {
            using HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
            byte[] body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            return new CouchDbResponse((int)response.StatusCode, body);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or SocketException)
        {
            // A connection reset mid-exchange does not always come wrapped in HttpRequestException: a CouchDB restart
            // surfaced as a bare "Transport endpoint is not connected" (ClusterCouchDbFaultTests), which escaped the
            // record store's retry and lost the records of its batch.
            throw new CouchDbUnavailableException($"CouchDB at {Options.Server} did not answer {method} {path}: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            // HttpClient's own timeout, not the caller's cancellation.
            throw new CouchDbUnavailableException($"CouchDB at {Options.Server} did not answer {method} {path} within {Options.RequestTimeout.TotalSeconds:0} s", e);
        }
    }
}
