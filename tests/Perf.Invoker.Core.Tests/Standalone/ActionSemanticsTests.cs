using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using static Perf.Invoker.Tests.Standalone.ApiRequests;

namespace Perf.Invoker.Tests.Standalone;

/// <summary>OpenWhisk's action semantics through the real invoker: code forms, update merge, counts, list filters, info documents.</summary>
[Trait("Category", "Process")]
public sealed class ActionSemanticsTests(StandaloneFixture fixture) : IClassFixture<StandaloneFixture>
{
    private HttpClient Guest => fixture.Guest;

    /// <summary>A zip as Serverless and <c>ow.actions.create({action: Buffer})</c> send it: package.json naming main.js.</summary>
    private static string ZipBase64()
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, string text)
            {
                using Stream entry = zip.CreateEntry(name).Open();
                entry.Write(Encoding.UTF8.GetBytes(text));
            }

            Add("package.json", """{"name":"zipped","main":"main.js"}""");
            Add("main.js", "exports.main = (params) => ({ zipped: true, name: params.name });");
        }

        return Convert.ToBase64String(buffer.ToArray());
    }

    [Fact]
    public async Task A_base64_zip_sent_without_binary_is_stored_binary_and_runs_its_package_main()
    {
        JsonNode created = await SendAsync(Guest, HttpMethod.Put, "_/actions/zipped", ActionBody(ZipBase64()));
        JsonNode result = await SendAsync(Guest, HttpMethod.Post, "_/actions/zipped?blocking=true&result=true", """{"name":"Ada"}""");

        Assert.True((bool?)created["exec"]!["binary"]);
        Assert.Equal("""{"zipped":true,"name":"Ada"}""", result.ToJsonString());
        Assert.Contains(created["annotations"]!.AsArray(), a => (string?)a!["key"] == "exec" && (string?)a["value"] == "nodejs:20");
    }

    [Fact]
    public async Task Source_code_sent_as_binary_is_stored_as_source()
    {
        JsonNode created = await SendAsync(Guest, HttpMethod.Put, "_/actions/not-binary", """{"exec":{"kind":"nodejs:20","code":"function main(p) { return p; }","binary":true}}""");

        Assert.False((bool?)created["exec"]!["binary"]);
    }

    [Fact]
    public async Task An_update_with_parameters_only_keeps_code_and_limits_and_a_limits_only_update_keeps_the_rest()
    {
        await SendAsync(Guest, HttpMethod.Put, "_/actions/merged", ActionBody(Echo, $$"""
            "limits":{"concurrency":5,"timeout":30000},"parameters":{{Parameters(("greeting", "hi"))}},"annotations":[{"key":"a","value":1}]
            """));

        JsonNode parameters = await SendAsync(Guest, HttpMethod.Put, "_/actions/merged?overwrite=true", $$"""{"parameters":{{Parameters(("name", "Ada"))}}}""");
        JsonNode limits = await SendAsync(Guest, HttpMethod.Put, "_/actions/merged?overwrite=true", """{"limits":{"memory":128}}""");
        JsonNode result = await SendAsync(Guest, HttpMethod.Post, "_/actions/merged?blocking=true&result=true", "{}");

        Assert.Equal((5, 30000, 256), ((int?)parameters["limits"]!["concurrency"], (int?)parameters["limits"]!["timeout"], (int?)parameters["limits"]!["memory"]));
        Assert.Equal((5, 30000, 128), ((int?)limits["limits"]!["concurrency"], (int?)limits["limits"]!["timeout"], (int?)limits["limits"]!["memory"]));
        Assert.Equal(("0.0.3", "Ada"), ((string?)limits["version"], (string?)limits["parameters"]![0]!["value"]));
        Assert.Single(limits["parameters"]!.AsArray());
        Assert.Contains(limits["annotations"]!.AsArray(), a => (string?)a!["key"] == "a");
        Assert.Equal("""{"name":"Ada"}""", result.ToJsonString());
    }

    [Fact]
    public async Task A_create_without_exec_is_400_exec_undefined_and_an_update_without_overwrite_is_409()
    {
        await AssertErrorAsync(Guest, HttpMethod.Put, "_/actions/no-exec", HttpStatusCode.BadRequest, "exec undefined", """{"parameters":[]}""");
        await SendAsync(Guest, HttpMethod.Put, "_/actions/once", ActionBody(Echo));
        await AssertErrorAsync(Guest, HttpMethod.Put, "_/actions/once", HttpStatusCode.Conflict, "The requested resource already exists.", """{"parameters":[]}""");
    }

    [Fact]
    public async Task Count_answers_the_number_of_actions_and_of_activations()
    {
        await SendAsync(Guest, HttpMethod.Put, "_/actions/counted", ActionBody(Echo));
        await SendAsync(Guest, HttpMethod.Post, "_/actions/counted?blocking=true", "{}");
        await SendAsync(Guest, HttpMethod.Post, "_/actions/counted?blocking=true", "{}");

        JsonNode actions = await SendAsync(Guest, HttpMethod.Get, "_/actions?count=true");
        JsonNode activations = await SendAsync(Guest, HttpMethod.Get, "_/activations?count=true&name=counted");
        JsonNode all = await SendAsync(Guest, HttpMethod.Get, "_/actions?limit=200");

        Assert.Equal(all.AsArray().Count, (int?)actions["actions"]);
        Assert.Equal("""{"activations":2}""", activations.ToJsonString());
        await AssertErrorAsync(Guest, HttpMethod.Get, "_/activations?count=true&docs=true", HttpStatusCode.BadRequest, "The parameter 'docs' is not permitted with 'count'.");
    }

    [Fact]
    public async Task Activations_are_summaries_unless_docs_and_since_upto_select_by_start_time()
    {
        await SendAsync(Guest, HttpMethod.Put, "_/actions/listed", ActionBody(Echo));
        JsonNode first = await SendAsync(Guest, HttpMethod.Post, "_/actions/listed?blocking=true", "{}");
        long start = (long)first["start"]!;
        await SendAsync(Guest, HttpMethod.Post, "_/actions/listed?blocking=true", "{}");

        JsonNode summaries = await SendAsync(Guest, HttpMethod.Get, "_/activations?name=listed");
        JsonNode documents = await SendAsync(Guest, HttpMethod.Get, "_/activations?name=listed&docs=true");
        JsonNode onlyFirst = await SendAsync(Guest, HttpMethod.Get, $"_/activations?name=listed&upto={start}");
        JsonNode fromFirst = await SendAsync(Guest, HttpMethod.Get, $"_/activations?name=listed&since={start}");

        Assert.Equal(2, summaries.AsArray().Count);
        Assert.Null(summaries[0]!["response"]);
        Assert.Equal(0, (int?)summaries[0]!["statusCode"]);
        Assert.Equal(0, (int?)documents[0]!["response"]!["statusCode"]);
        Assert.Equal((string?)first["activationId"], (string?)onlyFirst.AsArray().Single()!["activationId"]);
        Assert.Equal(2, fromFirst.AsArray().Count);
        await AssertErrorAsync(Guest, HttpMethod.Get, "_/activations?since=yesterday", HttpStatusCode.BadRequest, "The query parameter 'since' was malformed:\nParameter is not a valid value for epoch seconds: yesterday");
        await AssertErrorAsync(Guest, HttpMethod.Get, "_/activations?name=a/b/c", HttpStatusCode.BadRequest, "The query parameter 'name' was malformed:\nParameter may be a 'simple' name or 'package-name/simple' name: a/b/c");
    }

    [Fact]
    public async Task The_info_documents_answer_without_a_key_at_the_root_and_at_api_v1()
    {
        using var anonymous = new HttpClient { BaseAddress = new Uri(fixture.Invoker.Url) };

        JsonNode root = JsonNode.Parse(await anonymous.GetStringAsync("/"))!;
        JsonNode api = JsonNode.Parse(await anonymous.GetStringAsync("/api/v1"))!;

        Assert.Equal("OpenWhisk", (string?)root["description"]);
        Assert.Equal("/api/v1", (string?)root["api_paths"]![0]);
        Assert.Equal(300000, (long?)root["limits"]!["max_action_duration"]);
        Assert.Contains(root["runtimes"]!["nodejs"]!.AsArray(), r => (string?)r!["kind"] == "nodejs:20" && (bool?)r["default"] == true);
        Assert.Equal(("OpenWhisk API", "v1"), ((string?)api["description"], (string?)api["api_version_path"]));
    }
}
