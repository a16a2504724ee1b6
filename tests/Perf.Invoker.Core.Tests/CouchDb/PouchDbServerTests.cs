using System.Net;
using System.Text;
using System.Text.Json;
using Perf.Invoker.CouchDb;

namespace Perf.Invoker.Tests.CouchDb;

/// <summary>
/// pouchdb-server as the tests' CouchDB (docs/cluster.md, Testing against a real CouchDB): what the fixture sets up, and
/// the CouchDB behaviours the invoker relies on, through the invoker's own <see cref="CouchDbClient"/>. Where
/// pouchdb-server differs from Apache CouchDB, the test says so in its name.
/// </summary>
[Trait("Category", "Process")]
public sealed class PouchDbServerTests(CouchDbFixture couch) : IClassFixture<CouchDbFixture>
{
    [Fact]
    public async Task TheFixture_HasAnAdmin_SoWrongCredentialsAreRefused()
    {
        WhiskDatabases databases = await couch.CreateDatabasesAsync();
        using var client = new CouchDbClient(couch.Options(databases));
        using var wrong = new CouchDbClient(new CouchDbOptions { Server = couch.Server, Username = CouchDbFixture.Username, Password = "wrong" });

        Assert.Equal(200, (await client.GetAsync($"/{databases.Activations}/_all_docs", CancellationToken.None)).StatusCode);
        Assert.Equal(401, (await wrong.GetAsync($"/{databases.Activations}/_all_docs", CancellationToken.None)).StatusCode);
    }

    [Fact]
    public async Task TheBlockedNamespacesView_AnswersTheInvokersQuery_WithANamespaceWhoseLimitsAreZero()
    {
        WhiskDatabases databases = await couch.CreateDatabasesAsync();
        using var client = new CouchDbClient(couch.Options(databases));
        await couch.SendAsync(HttpMethod.Put, $"/{databases.Subjects}/blocked%2Flimits", """{"invocationsPerMinute":0}""", HttpStatusCode.Created);
        await couch.SendAsync(HttpMethod.Put, $"/{databases.Subjects}/fine%2Flimits", """{"invocationsPerMinute":10}""", HttpStatusCode.Created);
        string query = $"/{databases.Subjects}/_design/namespaceThrottlings/_view/blockedNamespaces?descending=true&reduce=false";

        // stale=update_after answers from the index as it is and updates it afterwards, as CouchDB does.
        await Eventually.True(async () => Keys(await client.GetAsync(query + "&stale=update_after", CancellationToken.None)).SequenceEqual(["blocked"]),
            "the view emits the blocked namespace only", pollMilliseconds: 200);
    }

    [Fact]
    public async Task ABulkDocsConflict_IsARowWithErrorConflict_AndTheOtherRowsAreStored()
    {
        WhiskDatabases databases = await couch.CreateDatabasesAsync();
        using var client = new CouchDbClient(couch.Options(databases));
        CouchDbResponse first = await client.BulkDocsAsync(databases.Activations, Encoding.UTF8.GetBytes("""{"docs":[{"_id":"guest/a1"}]}"""), CancellationToken.None);
        Assert.Equal(201, first.StatusCode);

        CouchDbResponse second = await client.BulkDocsAsync(databases.Activations, Encoding.UTF8.GetBytes("""{"docs":[{"_id":"guest/a1"},{"_id":"guest/a2"}]}"""), CancellationToken.None);

        Assert.Equal(201, second.StatusCode);
        using JsonDocument rows = JsonDocument.Parse(second.Body);
        // One row per document, found by its id: pouchdb-server does not always keep the documents' order.
        Assert.Equal(2, rows.RootElement.GetArrayLength());
        JsonElement[] byId = [.. rows.RootElement.EnumerateArray().OrderBy(r => r.GetProperty("id").GetString(), StringComparer.Ordinal)];
        Assert.Equal("guest/a1", byId[0].GetProperty("id").GetString());
        Assert.Equal("conflict", byId[0].GetProperty("error").GetString());
        Assert.Equal("guest/a2", byId[1].GetProperty("id").GetString());
        Assert.True(byId[1].GetProperty("ok").GetBoolean());
        Assert.Equal(200, (await client.GetDocumentAsync(databases.Activations, "guest/a2", revision: null, CancellationToken.None)).StatusCode);
    }

    [Fact]
    public async Task ADocumentGetWithIfMatch_AnswersTheLatestRevision_AsCouchDbDoes_SoTheReaderMustCheckRev()
    {
        WhiskDatabases databases = await couch.CreateDatabasesAsync();
        using var client = new CouchDbClient(couch.Options(databases));
        string first = Rev(await couch.SendAsync(HttpMethod.Put, $"/{databases.Entities}/guest%2Fa", """{"v":1}""", HttpStatusCode.Created));
        await couch.SendAsync(HttpMethod.Put, $"/{databases.Entities}/guest%2Fa", $$"""{"_rev":"{{first}}","v":2}""", HttpStatusCode.Created);

        CouchDbResponse read = await client.GetDocumentAsync(databases.Entities, "guest/a", first, CancellationToken.None);

        Assert.Equal(200, read.StatusCode);
        Assert.StartsWith("2-", Rev(Encoding.UTF8.GetString(read.Body)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAttachmentGetWithIfMatch_IgnoresTheRevision_WhereCouchDbAnswersThatRevisionOr404()
    {
        WhiskDatabases databases = await couch.CreateDatabasesAsync();
        using var client = new CouchDbClient(couch.Options(databases));
        string created = Rev(await couch.SendAsync(HttpMethod.Put, $"/{databases.Entities}/guest%2Fb", "{}", HttpStatusCode.Created));
        using var code = new StringContent("function main() { return {}; }", Encoding.UTF8, "text/plain");
        using HttpResponseMessage attached = await couch.Http.PutAsync($"/{databases.Entities}/guest%2Fb/codefile?rev={created}", code);
        Assert.Equal(HttpStatusCode.Created, attached.StatusCode);

        CouchDbResponse current = await client.GetAttachmentAsync(databases.Entities, "guest/b", "codefile", Rev(await attached.Content.ReadAsStringAsync()), CancellationToken.None);
        CouchDbResponse bogus = await client.GetAttachmentAsync(databases.Entities, "guest/b", "codefile", "9-0123456789abcdef0123456789abcdef", CancellationToken.None);

        Assert.Equal("function main() { return {}; }", Encoding.UTF8.GetString(current.Body));
        Assert.Equal(200, bogus.StatusCode);
    }

    private static string Rev(string answer)
    {
        using JsonDocument document = JsonDocument.Parse(answer);
        return (document.RootElement.TryGetProperty("rev", out JsonElement rev) ? rev : document.RootElement.GetProperty("_rev")).GetString()!;
    }

    private static List<string> Keys(CouchDbResponse view)
    {
        Assert.Equal(200, view.StatusCode);
        using JsonDocument document = JsonDocument.Parse(view.Body);
        return [.. document.RootElement.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("key").GetString()!)];
    }
}
