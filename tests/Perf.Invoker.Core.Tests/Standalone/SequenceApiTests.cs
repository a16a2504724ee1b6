using System.Net;
using System.Text.Json.Nodes;
using static Perf.Invoker.Tests.Standalone.StandaloneCalls;

namespace Perf.Invoker.Tests.Standalone;

/// <summary>Sequences (exec.kind "sequence") through the real invoker: OpenWhisk's validation, the chain, the records.</summary>
[Trait("Category", "Process")]
public sealed class SequenceApiTests(StandaloneFixture fixture) : IClassFixture<StandaloneFixture>
{
    private const string AddOne = "function main(p) { return { n: (p.n || 0) + 1, tag: p.tag }; }";
    private const string TimesTen = "function main(p) { return { n: p.n * 10, tag: p.tag }; }";
    private const string Fails = "function main(p) { return { error: 'boom at ' + p.n }; }";

    private HttpClient Guest => fixture.Guest;

    [Fact]
    public async Task A_sequence_is_stored_with_fully_qualified_components_and_its_actions_parameter()
    {
        await PutNodeActionAsync(Guest, "stored-a", AddOne);
        await PutNodeActionAsync(Guest, "stored-b", TimesTen);

        JsonNode sequence = await PutActionAsync(Guest, "stored-seq", """{"exec":{"kind":"sequence","components":["/_/stored-a","guest/stored-b"]}}""");

        Assert.Equal("sequence", (string?)sequence["exec"]!["kind"]);
        Assert.Equal(["/guest/stored-a", "/guest/stored-b"], sequence["exec"]!["components"]!.AsArray().Select(c => (string?)c));
        Assert.Null(sequence["exec"]!["code"]);
        Assert.Equal("_actions", (string?)sequence["parameters"]![0]!["key"]);
        Assert.Contains(sequence["annotations"]!.AsArray(), a => (string?)a!["key"] == "exec" && (string?)a["value"] == "sequence");
        JsonNode fetched = JsonNode.Parse(await Guest.GetStringAsync("_/actions/stored-seq"))!;
        Assert.Equal(2, fetched["exec"]!["components"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_sequence_that_OpenWhisk_would_refuse_is_400_with_its_words()
    {
        await PutNodeActionAsync(Guest, "refuse-a", AddOne);

        await AssertErrorAsync(await PutAsync("refuse-1", """{"exec":{"kind":"sequence","components":["/guest/nothing-here"]}}"""), HttpStatusCode.BadRequest, "Sequence component does not exist.");
        await AssertErrorAsync(await PutAsync("refuse-2", """{"exec":{"kind":"sequence","components":[]}}"""), HttpStatusCode.BadRequest, "No component specified for the sequence.");
        await AssertErrorAsync(await PutAsync("refuse-3", """{"exec":{"kind":"sequence","components":["refuse-a"]}}"""), HttpStatusCode.BadRequest,
            "The request content was malformed:\nThe fully qualified name of the entity must contain at least the namespace and the name of the entity.");
        string tooMany = string.Join(',', Enumerable.Repeat("\"/guest/refuse-a\"", 51));
        await AssertErrorAsync(await PutAsync("refuse-4", "{\"exec\":{\"kind\":\"sequence\",\"components\":[" + tooMany + "]}}"), HttpStatusCode.BadRequest, "Too many actions in the sequence.");
        await AssertErrorAsync(await PutAsync("refuse-a", """{"exec":{"kind":"sequence","components":["/guest/refuse-a"]}}"""), HttpStatusCode.BadRequest, "Sequence may not refer to itself.");
        await AssertErrorAsync(await PutAsync("refuse-5", """{"exec":{"kind":"sequence","components":["/alice/refuse-a"]}}"""), HttpStatusCode.Forbidden,
            "The supplied authentication is not authorized to access this resource.");

        // An inner sequence counts with its atomic actions: 26 + 26 is over the 50 allowed.
        string half = string.Join(',', Enumerable.Repeat("\"/guest/refuse-a\"", 26));
        await PutActionAsync(Guest, "refuse-half", "{\"exec\":{\"kind\":\"sequence\",\"components\":[" + half + "]}}");
        await AssertErrorAsync(await PutAsync("refuse-6", """{"exec":{"kind":"sequence","components":["/guest/refuse-half","/guest/refuse-half"]}}"""), HttpStatusCode.BadRequest, "Too many actions in the sequence.");
    }

    [Fact]
    public async Task A_blocking_invoke_runs_the_components_in_order_each_caused_by_the_sequence()
    {
        await PutNodeActionAsync(Guest, "chain-a", AddOne);
        await PutNodeActionAsync(Guest, "chain-b", TimesTen, extra: ""","parameters":[{"key":"tag","value":"from-b"}]""");
        await PutActionAsync(Guest, "chain", """{"exec":{"kind":"sequence","components":["/guest/chain-a","/guest/chain-b"]}}""");

        using HttpResponseMessage response = await Guest.PostAsync("_/actions/chain?blocking=true", JsonBody("""{"n":1}"""));
        JsonNode record = JsonNode.Parse(await ReadAsync(response, HttpStatusCode.OK))!;

        // (1 + 1) * 10; b's default parameter is under the previous result, which had no tag.
        Assert.Equal(20, (int?)record["response"]!["result"]!["n"]);
        Assert.Equal("from-b", (string?)record["response"]!["result"]!["tag"]);
        string id = (string)record["activationId"]!;
        Assert.Equal(id, response.Headers.GetValues("x-openwhisk-activation-id").Single());
        Assert.Null(record["cause"]);
        Assert.Equal("chain", (string?)record["name"]);
        Assert.Equal(true, (bool?)Annotation(record, "topmost"));
        Assert.Equal("sequence", (string?)Annotation(record, "kind"));
        Assert.Equal("guest/chain", (string?)Annotation(record, "path"));
        Assert.Null(Annotation(record, "causedBy"));
        Assert.Equal(256, (int?)Annotation(record, "limits")!["memory"]);

        string[] components = record["logs"]!.AsArray().Select(l => (string)l!).ToArray();
        Assert.Equal(2, components.Length);
        long sum = 0;
        string[] names = ["chain-a", "chain-b"];
        for (int i = 0; i < components.Length; i++)
        {
            JsonNode component = JsonNode.Parse(await Guest.GetStringAsync($"_/activations/{components[i]}"))!;
            Assert.Equal(names[i], (string?)component["name"]);
            Assert.Equal(id, (string?)component["cause"]);
            Assert.Equal("sequence", (string?)Annotation(component, "causedBy"));
            sum += (long)component["duration"]!;
        }

        Assert.Equal(sum, (long?)record["duration"]);
    }

    [Fact]
    public async Task An_error_stops_the_chain_and_is_the_sequences_response()
    {
        await PutNodeActionAsync(Guest, "stop-a", AddOne);
        await PutNodeActionAsync(Guest, "stop-fail", Fails);
        await PutNodeActionAsync(Guest, "stop-never", "function main() { console.log('ran'); return { ran: true }; }");
        await PutActionAsync(Guest, "stop", """{"exec":{"kind":"sequence","components":["/guest/stop-a","/guest/stop-fail","/guest/stop-never"]}}""");

        using HttpResponseMessage response = await Guest.PostAsync("_/actions/stop?blocking=true", JsonBody("""{"n":4}"""));
        JsonNode record = JsonNode.Parse(await ReadAsync(response, HttpStatusCode.BadGateway))!;

        Assert.Equal("application error", (string?)record["response"]!["status"]);
        Assert.Equal("boom at 5", (string?)record["response"]!["result"]!["error"]);
        Assert.Equal(2, record["logs"]!.AsArray().Count);
        using HttpResponseMessage result = await Guest.PostAsync("_/actions/stop?blocking=true&result=true", JsonBody("""{"n":0}"""));
        Assert.Equal("boom at 1", (string?)JsonNode.Parse(await ReadAsync(result, HttpStatusCode.BadGateway))!["error"]);
    }

    [Fact]
    public async Task A_component_deleted_after_the_sequence_was_made_ends_it_with_OpenWhisks_application_error()
    {
        await PutNodeActionAsync(Guest, "gone-a", AddOne);
        await PutNodeActionAsync(Guest, "gone-b", AddOne);
        await PutActionAsync(Guest, "gone", """{"exec":{"kind":"sequence","components":["/guest/gone-a","/guest/gone-b"]}}""");
        (await Guest.DeleteAsync("_/actions/gone-b")).Dispose();

        using HttpResponseMessage response = await Guest.PostAsync("_/actions/gone?blocking=true&result=true", JsonBody("{}"));

        Assert.Equal("Sequence component does not exist.", (string?)JsonNode.Parse(await ReadAsync(response, HttpStatusCode.BadGateway))!["error"]);
    }

    [Fact]
    public async Task An_inner_sequence_has_its_own_record_caused_by_the_outer_one()
    {
        await PutNodeActionAsync(Guest, "nest-a", AddOne);
        await PutActionAsync(Guest, "nest-inner", """{"exec":{"kind":"sequence","components":["/guest/nest-a","/guest/nest-a"]}}""");
        await PutActionAsync(Guest, "nest-outer", """{"exec":{"kind":"sequence","components":["/guest/nest-inner","/guest/nest-a"]}}""");

        using HttpResponseMessage response = await Guest.PostAsync("_/actions/nest-outer?blocking=true", JsonBody("""{"n":0}"""));
        JsonNode outer = JsonNode.Parse(await ReadAsync(response, HttpStatusCode.OK))!;

        Assert.Equal(3, (int?)outer["response"]!["result"]!["n"]);
        JsonNode inner = JsonNode.Parse(await Guest.GetStringAsync($"_/activations/{(string)outer["logs"]![0]!}"))!;
        Assert.Equal("nest-inner", (string?)inner["name"]);
        Assert.Equal((string?)outer["activationId"], (string?)inner["cause"]);
        Assert.Equal(false, (bool?)Annotation(inner, "topmost"));
        Assert.Equal("sequence", (string?)Annotation(inner, "causedBy"));
        Assert.Equal(2, inner["logs"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_non_blocking_invoke_answers_the_sequences_id_at_once_and_its_record_follows()
    {
        await PutNodeActionAsync(Guest, "later-a", AddOne);
        await PutActionAsync(Guest, "later", """{"exec":{"kind":"sequence","components":["/guest/later-a"]}}""");

        using HttpResponseMessage response = await Guest.PostAsync("_/actions/later", JsonBody("""{"n":41}"""));
        string id = (string)JsonNode.Parse(await ReadAsync(response, HttpStatusCode.Accepted))!["activationId"]!;

        JsonNode record = await StandaloneApiTests.FetchActivationAsync(Guest, id);
        Assert.Equal(42, (int?)record["response"]!["result"]!["n"]);
    }

    private Task<HttpResponseMessage> PutAsync(string name, string document) => Guest.PutAsync($"_/actions/{name}?overwrite=true", JsonBody(document));

    private static JsonNode? Annotation(JsonNode record, string key) =>
        record["annotations"]!.AsArray().FirstOrDefault(a => (string?)a!["key"] == key)?["value"];
}
