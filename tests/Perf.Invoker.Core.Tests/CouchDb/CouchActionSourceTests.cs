using System.Text;
using Perf.Invoker.CouchDb;
using Perf.Invoker.Invocation;
using Perf.Invoker.Json;
using Perf.Invoker.Model;

namespace Perf.Invoker.Tests.CouchDb;

[Trait("Category", "Unit")]
public sealed class CouchActionSourceTests : IAsyncLifetime
{
    private const string HelloTarget = "/whisks/guest%2Fhello";
    private const string Uuid = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";

    private FakeCouchDb _couch = null!;
    private CouchDbClient _client = null!;
    private readonly List<string> _reports = [];

    public async Task InitializeAsync()
    {
        _couch = await FakeCouchDb.StartAsync();
        _client = _couch.Client();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _couch.DisposeAsync();
    }

    /// <summary>The runtimes this invoker has: nodejs:20 (also nodejs:default) and python:3.</summary>
    private static string? Kinds(string kind) => kind switch
    {
        "nodejs:default" or "nodejs:20" => "nodejs:20",
        "python:3" => kind,
        _ => null,
    };

    private CouchActionSource Source(long cacheBytes = CouchActionSource.DefaultCacheBytes) => new(_client, Kinds, cacheBytes, _reports.Add);

    private static ActivationMessage Message(string? revision, string path = "guest", string name = "hello")
    {
        ActivationMessage message = Activations.Message();
        return new ActivationMessage
        {
            Transid = message.Transid,
            Action = new FullyQualifiedEntityName { Path = path, Name = name, Version = "0.0.1" },
            Revision = revision,
            User = message.User,
            ActivationId = message.ActivationId,
            RootControllerIndex = message.RootControllerIndex,
            Blocking = message.Blocking,
        };
    }

    private static string Document(string id, string rev, string exec, string? attachments = null, string annotations = "[]", string entityType = "action")
    {
        int slash = id.LastIndexOf('/');
        string extra = attachments is null ? "" : $""","_attachments":{attachments}""";
        return $$"""
            {"_id":"{{id}}","_rev":"{{rev}}","entityType":"{{entityType}}","namespace":"{{id[..slash]}}","name":"{{id[(slash + 1)..]}}",
             "version":"0.0.3","publish":false,"updated":1754400000000,"exec":{{exec}},
             "parameters":[{"key":"name","value":"world"},{"key":"secret","value":"x","init":true}],
             "limits":{"timeout":30000,"memory":128,"logs":5,"concurrency":4},"annotations":{{annotations}}{{extra}}}
            """;
    }

    private static string UrlSafe(string code) => Convert.ToBase64String(Encoding.UTF8.GetBytes(code)).Replace('+', '-').Replace('/', '_');

    [Fact]
    public async Task TheHealthAction_WithItsCodeAsAString_IsReadFreshAndResolvedToTheDefaultKind()
    {
        _couch.Answer("/whisks/whisk.system%2FinvokerHealthTestAction0", 200, """
            {"_id":"whisk.system/invokerHealthTestAction0","_rev":"4-a1","entityType":"action","namespace":"whisk.system",
             "name":"invokerHealthTestAction0","version":"0.0.1","publish":false,"updated":1754400000000,
             "exec":{"kind":" NodeJS:Default ","code":"function main(params) { return params; }","binary":false},
             "parameters":[],"limits":{"timeout":60000,"memory":128,"logs":10,"concurrency":1},"annotations":[]}
            """);
        CouchActionSource source = Source();

        ActionLookup lookup = await source.FindAsync(Message(null, "whisk.system", "invokerHealthTestAction0"), default);

        Assert.True(lookup.IsFound, lookup.ToString());
        ExecutableAction action = lookup.Action;
        Assert.Equal("nodejs:20", action.Kind);
        Assert.Equal("function main(params) { return params; }", action.Code);
        Assert.False(action.Binary);
        Assert.Equal(128, action.MemoryMegabytes);
        Assert.Equal("whisk.system/invokerHealthTestAction0", action.Path);
        // No annotations at all: the key is given to the action (OpenWhisk's default for an absent provide-api-key).
        Assert.True(action.ProvideApiKey);
        FakeCouchRequest request = Assert.Single(_couch.Requests);
        Assert.Null(request.IfMatch);
        Assert.Equal("Basic " + Convert.ToBase64String("invoker0:secret"u8.ToArray()), request.Authorization);
    }

    [Theory]
    [InlineData("UEsDBBQAAAAIAA==", true)]
    [InlineData("  UEsDBBQAAAAIAA==\n", true)]
    [InlineData("UEsDBBQAAAAIAAA=", true)]
    [InlineData("UEsDBBQAAAAIAA=", false)]
    [InlineData("function main() {}", false)]
    [InlineData("abcd", true)]
    [InlineData("ab=d", false)]
    [InlineData("   ", false)]
    public async Task AStringCode_IsBinary_WhenOpenWhiskWouldCallItBase64(string code, bool binary)
    {
        _couch.Answer(HelloTarget, 200, Document("guest/hello", "1-a", $$"""{"kind":"python:3","code":{{JsonString(code)}},"binary":{{(!binary).ToString().ToLowerInvariant()}}}"""));

        ActionLookup lookup = await Source().FindAsync(Message("1-a"), default);

        Assert.Equal(code, lookup.Action!.Code);
        Assert.Equal(binary, lookup.Action.Binary);
    }

    [Fact]
    public async Task APackagedActionWithItsCodeInline_IsDecodedFromUrlSafeBase64_AndReadAtItsRevision()
    {
        const string code = """function main() { return {ok: "???>>>"}; }""";
        Assert.Contains('_', UrlSafe(code));
        _couch.Answer("/whisks/guest%2Fmypkg%2Fhello", 200, Document("guest/mypkg/hello", "1-b",
            $$$"""{"kind":"nodejs:20","binary":false,"code":{"attachmentName":"mem:{{{UrlSafe(code)}}}","attachmentType":"text/plain; charset=UTF-8","length":{{{code.Length}}},"digest":"sha256-00"}}""",
            annotations: """[{"key":"provide-api-key","value":false},{"key":"exec","value":"nodejs:20"}]"""));

        ActionLookup lookup = await Source().FindAsync(Message("1-b", "guest/mypkg"), default);

        ExecutableAction action = lookup.Action!;
        Assert.Equal(code, action.Code);
        Assert.Equal("guest/mypkg", action.Namespace);
        Assert.Equal("guest/mypkg/hello", action.Path);
        Assert.Equal("0.0.3", action.Version);
        Assert.Equal((30_000, 128, 5, 4), (action.TimeoutMillis, action.MemoryMegabytes, action.LogsMegabytes, action.Concurrency));
        Assert.False(action.ProvideApiKey);
        Assert.Equal(["name", "secret"], action.Spec.Parameters!.Select(p => p.Key));
        FakeCouchRequest request = Assert.Single(_couch.Requests);
        Assert.Equal("\"1-b\"", request.IfMatch);
    }

    [Fact]
    public async Task ALargeActionsCode_IsItsCouchAttachment_ReadWithTheDocumentsRevision()
    {
        string code = "// big\n" + new string('x', 20_000);
        _couch.Answer("/whisks/guest%2Fhello", 200, Document("guest/hello", "2-c",
            $$$"""{"kind":"nodejs:20","binary":false,"code":{"attachmentName":"couch:{{{Uuid}}}","attachmentType":"text/plain; charset=UTF-8"}}""",
            attachments: $$$"""{"{{{Uuid}}}":{"content_type":"text/plain; charset=UTF-8","revpos":2,"digest":"md5-x","length":{{{code.Length}}},"stub":true}}"""));
        _couch.Answer($"/whisks/guest%2Fhello/{Uuid}", 200, code);

        ActionLookup lookup = await Source().FindAsync(Message("2-c"), default);

        Assert.Equal(code, lookup.Action!.Code);
        FakeCouchRequest attachment = _couch.Requests.Single(r => r.Target.EndsWith(Uuid, StringComparison.Ordinal));
        Assert.Equal("\"2-c\"", attachment.IfMatch);
    }

    [Fact]
    public async Task ABinaryCodeInAnAttachmentWithAPlainName_IsGivenToInitAsStandardBase64()
    {
        byte[] zip = [0x50, 0x4b, 0x03, 0x04, 0xfb, 0xff, 0xfe, 0x00];
        _couch.Answer(HelloTarget, 200, Document("guest/hello", "2-d",
            """{"kind":"nodejs:20","binary":true,"main":"handler","code":{"attachmentName":"codefile","attachmentType":"application/octet-stream"}}""",
            attachments: """{"codefile":{"content_type":"application/octet-stream","length":8,"stub":true}}"""));
        _couch.Answer(HelloTarget + "/codefile", 200, zip);

        ExecutableAction action = (await Source().FindAsync(Message("2-d"), default)).Action!;

        Assert.Equal(Convert.ToBase64String(zip), action.Code);
        Assert.Contains('/', action.Code);
        Assert.True(action.Binary);
        Assert.Equal("handler", action.Main);
    }

    [Theory]
    [InlineData("""{"codefile":{"stub":true},"other":{"stub":true}}""", "codefile")]
    [InlineData("""{"codefile2":{"stub":true}}""", "codefile")]
    [InlineData("""{"3f2504e0-4f89-11d3-9a0c-0305e82c3301":{"stub":true}}""", "3f2504e0-4f89-11d3-9a0c-0305e82c3301")]
    [InlineData(null, "codefile")]
    [InlineData("""{"\udc00":{"stub":true}}""", "codefile")]
    public async Task AnAttachmentThatIsNotTheOneAndOnly_IsNotCompatible(string? attachments, string reference)
    {
        _couch.Answer(HelloTarget, 200, Document("guest/hello", "2-e",
            $$$"""{"kind":"nodejs:20","binary":false,"code":{"attachmentName":"{{{reference}}}"}}""", attachments));
        _couch.Answer(HelloTarget + "/" + reference, 200, "function main() {}");

        ActionLookup lookup = await Source().FindAsync(Message("2-e"), default);

        AssertFailed(ActivationStatus.WhiskError, ActionLookup.NotCompatibleMessage, lookup);
    }

    [Fact]
    public async Task ABlackboxAction_KeepsItsImage_AndHasNoCodeWhenItsCodeIsBlank()
    {
        _couch.Answer(HelloTarget, 200, Document("guest/hello", "1-f", """{"kind":"blackbox","image":"openwhisk/dockerskeleton","binary":false,"code":"  "}"""));

        ExecutableAction action = (await Source().FindAsync(Message("1-f"), default)).Action!;

        Assert.Equal("blackbox", action.Kind);
        Assert.Equal("openwhisk/dockerskeleton", action.Spec.Exec.Image);
        Assert.Equal("", action.Code);
    }

    [Fact]
    public async Task TheSecondReadOfARevision_IsServedByTheCache()
    {
        _couch.Answer(HelloTarget, 200, Document("guest/hello", "1-g", """{"kind":"nodejs:20","code":"function main() {}"}"""));
        CouchActionSource source = Source();

        ExecutableAction first = (await source.FindAsync(Message("1-g"), default)).Action!;
        ExecutableAction second = (await source.FindAsync(Message("1-g"), default)).Action!;

        Assert.Same(first, second);
        Assert.Equal(1, _couch.CountOf(HelloTarget));
        Assert.Equal((1L, 1L), (source.Hits, source.Misses));
    }

    [Fact]
    public async Task AMessageWithoutARevision_ReadsTheLatestDocumentEveryTime()
    {
        _couch.Answer(HelloTarget, 200, Document("guest/hello", "1-h", """{"kind":"nodejs:20","code":"function main() {}"}"""));
        CouchActionSource source = Source();

        await source.FindAsync(Message("1-h"), default);
        Assert.True((await source.FindAsync(Message(null), default)).IsFound);
        Assert.True((await source.FindAsync(Message(null), default)).IsFound);

        Assert.Equal(3, _couch.CountOf(HelloTarget));
        Assert.Equal((0L, 3L), (source.Hits, source.Misses));
        Assert.Equal(1, source.CachedActions);
    }

    [Fact]
    public async Task ARevisionMismatch_IsReadOnceMoreForTheLatest_WhichIsNotCached()
    {
        // CouchDB answers a GET with its latest revision when it does not honour If-Match: the revision is checked here.
        _couch.Answer(HelloTarget, 200, Document("guest/hello", "3-new", """{"kind":"nodejs:20","code":"function main() { return {v: 3}; }"}"""));
        CouchActionSource source = Source();

        ActionLookup lookup = await source.FindAsync(Message("2-old"), default);

        Assert.Equal("function main() { return {v: 3}; }", lookup.Action!.Code);
        Assert.Equal(["\"2-old\"", null], _couch.Requests.Select(r => r.IfMatch));
        Assert.Equal(0, source.CachedActions);
        await source.FindAsync(Message("2-old"), default);
        Assert.Equal(4, _couch.CountOf(HelloTarget));
    }

    [Fact]
    public async Task ConcurrentMissesOfOneRevision_ShareOneRead()
    {
        _couch.Answer(HelloTarget, 200, Document("guest/hello", "1-i", """{"kind":"nodejs:20","code":"function main() {}"}"""));
        _couch.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        CouchActionSource source = Source();

        Task<ActionLookup>[] lookups = [.. Enumerable.Range(0, 8).Select(_ => source.FindAsync(Message("1-i"), default).AsTask())];
        await Eventually.True(() => _couch.Requests.Count == 1, "the first lookup's read reached the database");
        _couch.Gate.SetResult();
        ActionLookup[] done = await Task.WhenAll(lookups);

        Assert.All(done, lookup => Assert.Same(done[0].Action, lookup.Action));
        Assert.Equal(1, _couch.CountOf(HelloTarget));
        Assert.Equal((7L, 1L), (source.Hits, source.Misses));
    }

    [Fact]
    public async Task TheCache_EvictsTheLeastRecentlyUsed_WhenItsCodeIsOverTheBound()
    {
        foreach (string name in new[] { "a", "b", "c" })
        {
            _couch.Answer($"/whisks/guest%2F{name}", 200, Document($"guest/{name}", "1-j", $$"""{"kind":"nodejs:20","code":"{{new string('x', 400)}}"}"""));
        }

        CouchActionSource source = Source(cacheBytes: 1000);
        await source.FindAsync(Message("1-j", name: "a"), default);
        await source.FindAsync(Message("1-j", name: "b"), default);
        await source.FindAsync(Message("1-j", name: "a"), default);
        await source.FindAsync(Message("1-j", name: "c"), default);

        Assert.Equal((2, 800L), (source.CachedActions, source.CachedBytes));
        await source.FindAsync(Message("1-j", name: "a"), default);
        await source.FindAsync(Message("1-j", name: "b"), default);
        Assert.Equal(1, _couch.CountOf("/whisks/guest%2Fa"));
        Assert.Equal(2, _couch.CountOf("/whisks/guest%2Fb"));
    }

    [Theory]
    [InlineData(404, """{"error":"not_found","reason":"deleted"}""", ActivationStatus.ApplicationError, ActionLookup.NotFoundMessage)]
    [InlineData(401, """{"error":"unauthorized","reason":"Name or password is incorrect."}""", ActivationStatus.WhiskError, ActionLookup.NotFetchedMessage)]
    [InlineData(500, """{"error":"unknown_error","reason":"function_clause"}""", ActivationStatus.WhiskError, ActionLookup.NotFetchedMessage)]
    [InlineData(503, "", ActivationStatus.WhiskError, ActionLookup.NotFetchedMessage)]
    [InlineData(200, "<html>not json</html>", ActivationStatus.WhiskError, ActionLookup.NotCompatibleMessage)]
    [InlineData(200, """{"_id":"guest/hello","_rev":"1-k","entityType":"trigger","namespace":"guest","name":"hello","limits":{}}""", ActivationStatus.WhiskError, ActionLookup.NotCompatibleMessage)]
    [InlineData(200, """{"_id":"guest/hello","_rev":"1-k","entityType":"action","namespace":"guest","name":"hello","exec":{"kind":"cobol:85","code":"x"},"limits":{"timeout":60000,"memory":256}}""", ActivationStatus.WhiskError, ActionLookup.NotCompatibleMessage)]
    [InlineData(200, """{"_id":"guest/hello","_rev":"1-k","entityType":"action","namespace":"guest","name":"hello","exec":{"kind":"nodejs:20","code":"x"},"limits":{"memory":256}}""", ActivationStatus.WhiskError, ActionLookup.NotCompatibleMessage)]
    [InlineData(200, """{"_id":"guest/hello","_rev":"1-k","entityType":"action","namespace":"guest","name":"hello","exec":{"kind":"sequence","components":["/guest/a"]},"limits":{"timeout":60000,"memory":256}}""", ActivationStatus.WhiskError, ActionLookup.NotFetchedMessage)]
    // Found by the action-document fuzz harness: code that is not text (a lone surrogate escape) threw out of the lookup,
    // so the activation got neither a record nor an ack.
    [InlineData(200, """{"_id":"guest/hello","_rev":"1-k","entityType":"action","namespace":"guest","name":"hello","exec":{"kind":"nodejs:20","code":"x\ud800"},"limits":{"timeout":60000,"memory":256}}""", ActivationStatus.WhiskError, ActionLookup.NotCompatibleMessage)]
    public async Task AnAnswerThatIsNotAnAction_FailsWithOpenWhisksStatusAndMessage(int status, string body, ActivationStatus expected, string message)
    {
        _couch.Answer(HelloTarget, status, body);

        ActionLookup lookup = await Source().FindAsync(Message("1-k"), default);

        AssertFailed(expected, message, lookup);
    }

    [Fact]
    public async Task ADatabaseThatDoesNotAnswer_IsAnActionThatCouldNotBeFetched()
    {
        Uri gone = _couch.Server;
        await _couch.DisposeAsync();
        using var client = new CouchDbClient(new CouchDbOptions { Server = gone, Username = "u", Password = "p" });

        ActionLookup lookup = await new CouchActionSource(client, Kinds, report: _reports.Add).FindAsync(Message("1-l"), default);

        AssertFailed(ActivationStatus.WhiskError, ActionLookup.NotFetchedMessage, lookup);
        Assert.Contains("Action guest/hello could not be read", Assert.Single(_reports));
    }

    [Fact]
    public async Task AMissingAttachment_IsAnActionThatCouldNotBeFound()
    {
        _couch.Answer(HelloTarget, 200, Document("guest/hello", "2-m",
            """{"kind":"nodejs:20","binary":false,"code":{"attachmentName":"codefile"}}""", attachments: """{"codefile":{"stub":true}}"""));

        AssertFailed(ActivationStatus.ApplicationError, ActionLookup.NotFoundMessage, await Source().FindAsync(Message("2-m"), default));
    }

    private static void AssertFailed(ActivationStatus status, string message, ActionLookup lookup)
    {
        Assert.False(lookup.IsFound, lookup.ToString());
        Assert.Equal((status, message), (lookup.Status, lookup.Error));
    }

    private static string JsonString(string value) => RawJson.FromString(value).ToString();
}
