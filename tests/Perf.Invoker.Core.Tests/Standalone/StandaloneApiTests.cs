using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Perf.Invoker.Tests.Standalone;

/// <summary>One `invoker standalone` process with two namespaces, guest (the created key) and alice (added to the key file).</summary>
public sealed class StandaloneFixture : IAsyncLifetime
{
    /// <summary>Small enough that a 512 MB action cannot be provisioned (a whisk error, 500).</summary>
    public const int UserMemory = 384;

    public const string AliceKey = "8a2b7c1e-0000-4000-8000-00000000a11c:alice-secret-key";

    internal StandaloneInvoker Invoker { get; private set; } = null!;

    public HttpClient Guest => Invoker.Client;

    public HttpClient Alice { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // The first start creates guest's key; alice is added the way an operator would, by a line in the file.
        string data = Directory.CreateTempSubdirectory("invoker-api-").FullName;
        await using (StandaloneInvoker first = await StandaloneInvoker.StartAsync(data))
        {
        }

        File.AppendAllText(Path.Combine(data, "namespaces"), $"alice {AliceKey}\n");
        Invoker = await StandaloneInvoker.StartAsync(data, concurrencyMax: 100, userMemory: UserMemory);
        Alice = StandaloneInvoker.ClientFor(Invoker.Url, AliceKey);
    }

    public async Task DisposeAsync()
    {
        Alice.Dispose();
        await Invoker.DisposeAsync();
        Directory.Delete(Invoker.DataDirectory, recursive: true);
    }
}

[Trait("Category", "Process")]
public sealed class StandaloneApiTests(StandaloneFixture fixture) : IClassFixture<StandaloneFixture>
{
    private const string Echo = "function main(params) { console.log('echo ' + JSON.stringify(params)); return params; }";

    private HttpClient Guest => fixture.Guest;

    [Fact]
    public async Task Creating_an_action_returns_it_with_every_limit_filled_in_and_version_0_0_1()
    {
        JsonNode action = await PutAsync("create-me", Echo, limits: """{"concurrency":50}""");

        Assert.Equal("guest", (string?)action["namespace"]);
        Assert.Equal("0.0.1", (string?)action["version"]);
        Assert.Equal(50, (int?)action["limits"]!["concurrency"]);
        Assert.Equal(60000, (int?)action["limits"]!["timeout"]);
        Assert.Equal(256, (int?)action["limits"]!["memory"]);
    }

    [Fact]
    public async Task Creating_an_existing_action_without_overwrite_is_409_and_with_overwrite_bumps_the_version()
    {
        await PutAsync("twice", Echo);

        using HttpResponseMessage again = await Guest.PutAsync("_/actions/twice", Json($$$"""{"exec":{"kind":"nodejs:20","code":{{{JsonSerializer.Serialize(Echo)}}}}}"""));
        await AssertErrorAsync(again, HttpStatusCode.Conflict, "The requested resource already exists.");
        JsonNode updated = await PutAsync("twice", Echo, overwrite: true);
        Assert.Equal("0.0.2", (string?)updated["version"]);
    }

    [Fact]
    public async Task The_max_concurrent_annotation_sets_the_concurrency_when_limits_do_not()
    {
        using HttpResponseMessage put = await Guest.PutAsync("_/actions/annotated", Json($$"""
            {"exec":{"kind":"nodejs:20","code":{{JsonSerializer.Serialize(Echo)}}},"annotations":[{"key":"max-concurrent","value":20}]}
            """));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(20, (int?)JsonNode.Parse(await put.Content.ReadAsStringAsync())!["limits"]!["concurrency"]);
    }

    [Fact]
    public async Task A_blocking_invoke_with_result_answers_the_result_with_request_parameters_over_the_defaults()
    {
        await PutAsync("defaults", Echo, parameters: """[{"key":"greeting","value":"hello"},{"key":"name","value":"default"}]""");

        using HttpResponseMessage response = await Guest.PostAsync("_/actions/defaults?blocking=true&result=true", Json("""{"name":"caller"}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonNode result = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("hello", (string?)result["greeting"]);
        Assert.Equal("caller", (string?)result["name"]);
    }

    [Fact]
    public async Task A_blocking_invoke_without_result_answers_the_whole_record_with_its_logs()
    {
        await PutAsync("record", Echo);

        using HttpResponseMessage response = await Guest.PostAsync("_/actions/record?blocking=true", Json("""{"n":1}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonNode record = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(0, (int?)record["response"]!["statusCode"]);
        Assert.Contains("echo {\"n\":1}", (string?)record["logs"]![0]);
        Assert.Equal(response.Headers.GetValues("x-openwhisk-activation-id").Single(), (string?)record["activationId"]);
    }

    [Fact]
    public async Task A_non_blocking_invoke_answers_202_at_once_and_its_record_logs_and_result_can_be_fetched()
    {
        await PutAsync("async", Echo);

        using HttpResponseMessage response = await Guest.PostAsync("_/actions/async", Json("""{"k":"v"}"""));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        string id = (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["activationId"]!;
        JsonNode record = await FetchActivationAsync(Guest, id);
        Assert.Equal("async", (string?)record["name"]);
        JsonNode logs = JsonNode.Parse(await Guest.GetStringAsync($"_/activations/{id}/logs"))!;
        Assert.Contains("echo {\"k\":\"v\"}", (string?)logs["logs"]![0]);
        JsonNode result = JsonNode.Parse(await Guest.GetStringAsync($"_/activations/{id}/result"))!;
        Assert.Equal("success", (string?)result["status"]);
        Assert.Equal("v", (string?)result["result"]!["k"]);
    }

    [Fact]
    public async Task A_blocking_invoke_that_outlasts_its_wait_answers_202_with_the_activation_id_and_completes_later()
    {
        await PutAsync("slow", "function main() { return new Promise(r => setTimeout(() => r({ slow: true }), 1500)); }");

        using HttpResponseMessage response = await Guest.PostAsync("_/actions/slow?blocking=true&result=true&timeout=100", Json("{}"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        string id = (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["activationId"]!;
        JsonNode record = await FetchActivationAsync(Guest, id);
        Assert.True((bool?)record["response"]!["result"]!["slow"], record.ToJsonString());
    }

    [Fact]
    public async Task An_application_error_is_502_with_the_error_as_the_result()
    {
        await PutAsync("fails", "function main() { return { error: 'it went wrong' }; }");

        using HttpResponseMessage response = await Guest.PostAsync("_/actions/fails?blocking=true&result=true", Json("{}"));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("it went wrong", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]);
    }

    [Fact]
    public async Task A_developer_error_is_502_with_status_code_2_in_the_record()
    {
        await PutAsync("throws", "function main() { throw new Error('bug'); }");

        using HttpResponseMessage response = await Guest.PostAsync("_/actions/throws?blocking=true", Json("{}"));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(2, (int?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["response"]!["statusCode"]);
    }

    [Fact]
    public async Task An_action_the_invoker_cannot_provision_is_500_with_openwhisk_s_message_and_no_stack_trace()
    {
        await PutAsync("too-big", Echo, limits: """{"memory":512}""");

        using HttpResponseMessage response = await Guest.PostAsync("_/actions/too-big?blocking=true&result=true", Json("{}"));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        string body = await response.Content.ReadAsStringAsync();
        Assert.Equal("Failed to provision resources to run the action.", (string?)JsonNode.Parse(body)!["error"]);
        Assert.DoesNotContain(" at ", body);
    }

    [Theory]
    [InlineData("""{"exec":""", "The request content was malformed:")]
    [InlineData("""{"exec":{"kind":"nodejs:20","code":"x"},"limits":{"concurrency":101}}""", "concurrency 101 exceeds allowed threshold of 100")]
    [InlineData("""{"exec":{"kind":"nodejs:20","code":"x"},"limits":{"memory":64}}""", "memory 64 MB below allowed threshold of 128 MB")]
    [InlineData("""{"exec":{"kind":"nodejs:20","code":"x"},"limits":{"timeout":10}}""", "duration 10 milliseconds below allowed threshold of 100 milliseconds")]
    [InlineData("""{"exec":{"kind":"nodejs:20","code":"x"},"annotations":[{"key":"max-concurrent","value":1000}]}""", "concurrency 1000 exceeds allowed threshold of 100")]
    [InlineData("""{"exec":{"kind":"python:3","code":"x"}}""", "kind 'python:3' is not supported")]
    [InlineData("""{"exec":{"kind":"nodejs:20"}}""", "exec.code is missing")]
    [InlineData("""{"limits":{}}""", "exec undefined")] // OpenWhisk: a create without exec
    public async Task An_invalid_action_is_400_with_the_reason(string body, string reason)
    {
        using HttpResponseMessage response = await Guest.PutAsync("_/actions/invalid?overwrite=true", Json(body));

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, reason);
    }

    [Fact]
    public async Task Invoke_parameters_that_are_not_a_json_object_are_400()
    {
        await PutAsync("needs-object", Echo);

        using HttpResponseMessage array = await Guest.PostAsync("_/actions/needs-object?blocking=true", Json("[1,2]"));
        using HttpResponseMessage broken = await Guest.PostAsync("_/actions/needs-object?blocking=true", Json("{\"a\":"));

        await AssertErrorAsync(array, HttpStatusCode.BadRequest, "the parameters must be a JSON object");
        await AssertErrorAsync(broken, HttpStatusCode.BadRequest, "The request content was malformed:");
    }

    [Fact]
    public async Task Invoke_parameters_nested_deeper_than_an_activation_message_can_carry_are_400()
    {
        await PutAsync("deep", Echo, overwrite: true);
        static string Nested(int depth) => string.Concat(Enumerable.Repeat("{\"a\":", depth - 1)) + "{}" + new string('}', depth - 1);

        using HttpResponseMessage deepest = await Guest.PostAsync("_/actions/deep?blocking=true", Json(Nested(63)));
        using HttpResponseMessage tooDeep = await Guest.PostAsync("_/actions/deep?blocking=true", Json(Nested(64)));

        Assert.Equal(HttpStatusCode.OK, deepest.StatusCode);
        await AssertErrorAsync(tooDeep, HttpStatusCode.BadRequest, "ObjectDepthTooLarge, 63");
    }

    [Fact]
    public async Task A_result_as_deep_as_a_runtime_reply_may_nest_is_stored_in_a_record_that_can_be_read_back()
    {
        static string Returning(int depth) => $"function main() {{ let o = {{}}; for (let i = 1; i < {depth}; i++) o = {{ a: o }}; return o; }}";
        await PutAsync("deepest-result", Returning(Perf.Invoker.Json.JsonReader.DefaultMaxDepth), overwrite: true);
        await PutAsync("too-deep-result", Returning(Perf.Invoker.Json.JsonReader.DefaultMaxDepth + 1), overwrite: true);

        using HttpResponseMessage deepest = await Guest.PostAsync("_/actions/deepest-result?blocking=true", Json("{}"));
        using HttpResponseMessage tooDeep = await Guest.PostAsync("_/actions/too-deep-result?blocking=true", Json("{}"));

        Assert.Equal(HttpStatusCode.OK, deepest.StatusCode);
        Assert.Equal(HttpStatusCode.BadGateway, tooDeep.StatusCode);
        using HttpResponseMessage stored = await Guest.GetAsync($"_/activations/{deepest.Headers.GetValues("x-openwhisk-activation-id").Single()}");
        Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        Assert.Contains("\"statusCode\":0", await stored.Content.ReadAsStringAsync());
        JsonNode rejected = await FetchActivationAsync(Guest, tooDeep.Headers.GetValues("x-openwhisk-activation-id").Single());
        Assert.Contains("did not produce a valid JSON", (string?)rejected["response"]!["result"]!["error"]);
        using HttpResponseMessage list = await Guest.GetAsync("_/activations?name=deepest-result");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
    }

    [Theory]
    [InlineData(new byte[] { (byte)'{', (byte)'"', 0xFF, (byte)'"', (byte)':', (byte)'1', (byte)'}' }, "Invalid UTF-8 at byte 2.")]
    [InlineData(new byte[] { (byte)'{', (byte)'"', (byte)'a', (byte)'"', (byte)':', (byte)'"', 0xC3, (byte)'"', (byte)'}' }, "Invalid UTF-8 at byte 6.")]
    public async Task Invoke_parameters_that_are_not_utf8_are_400_naming_the_byte_and_nothing_runs(byte[] body, string reason)
    {
        await PutAsync("utf8-only", Echo, overwrite: true);

        using HttpResponseMessage response = await Guest.PostAsync("_/actions/utf8-only?blocking=true", new ByteArrayContent(body));

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, reason);
        Assert.Empty(JsonNode.Parse(await Guest.GetStringAsync("_/activations?name=utf8-only"))!.AsArray());
    }

    [Fact]
    public async Task An_action_as_large_as_the_api_accepts_initializes_and_runs_and_one_byte_more_is_413()
    {
        // ActionEndpoints.MaxActionBytes: 48 MiB less room for the /init envelope, which the runtime takes up to 48 MiB.
        const int MaxActionBytes = (48 * 1024 * 1024) - (64 * 1024);
        string Document(int size)
        {
            string head = """{"exec":{"kind":"nodejs:20","code":"function main() { return { ok: true }; }\n//""";
            const string Tail = "\"}}";
            return head + new string('x', size - head.Length - Tail.Length) + Tail;
        }

        using HttpResponseMessage largest = await Guest.PutAsync("_/actions/largest?overwrite=true", Json(Document(MaxActionBytes)));
        using HttpResponseMessage tooLarge = await Guest.PutAsync("_/actions/too-large?overwrite=true", Json(Document(MaxActionBytes + 1)));
        using HttpResponseMessage run = await Guest.PostAsync("_/actions/largest?blocking=true&result=true", Json("{}"));

        Assert.Equal(HttpStatusCode.OK, largest.StatusCode);
        await AssertErrorAsync(tooLarge, HttpStatusCode.RequestEntityTooLarge, $"exceeds the allowed limit of {MaxActionBytes} bytes");
        Assert.True(run.StatusCode == HttpStatusCode.OK, await run.Content.ReadAsStringAsync());
        Assert.Equal("""{"ok":true}""", await run.Content.ReadAsStringAsync());
        (await Guest.DeleteAsync("_/actions/largest")).Dispose();
    }

    [Fact]
    public async Task A_payload_over_1_MiB_is_413_and_nothing_runs()
    {
        await PutAsync("big-payload", Echo);
        string huge = $$"""{"data":"{{new string('x', 1024 * 1024)}}"}""";

        using HttpResponseMessage response = await Guest.PostAsync("_/actions/big-payload?blocking=true", Json(huge));

        await AssertErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "exceeds the allowed limit of 1048576 bytes");
        Assert.Empty(JsonNode.Parse(await Guest.GetStringAsync("_/activations?name=big-payload"))!.AsArray());
    }

    [Fact]
    public async Task A_payload_that_with_the_action_s_defaults_is_too_large_for_an_activation_message_is_413_and_nothing_runs()
    {
        string half = new('x', 600_000);
        await PutAsync("big-defaults", "function main(params) { return { keys: Object.keys(params).length }; }", parameters: $$"""[{"key":"big","value":"{{half}}"}]""");

        using HttpResponseMessage small = await Guest.PostAsync("_/actions/big-defaults?blocking=true&result=true", Json("""{"a":1}"""));
        using HttpResponseMessage large = await Guest.PostAsync("_/actions/big-defaults?blocking=true&result=true", Json($$"""{"data":"{{half}}"}"""));

        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
        await AssertErrorAsync(large, HttpStatusCode.RequestEntityTooLarge, "with the action's default parameters");
        Assert.Single(JsonNode.Parse(await Guest.GetStringAsync("_/activations?name=big-defaults"))!.AsArray());
    }

    [Fact]
    public async Task A_body_with_broken_chunked_framing_is_400_with_the_reason_not_an_internal_error()
    {
        await PutAsync("framed", Echo, overwrite: true);
        var address = new Uri(fixture.Invoker.Url);
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(address.Host, address.Port);
        using System.Net.Sockets.NetworkStream stream = client.GetStream();
        string auth = Convert.ToBase64String(Encoding.UTF8.GetBytes(fixture.Invoker.ApiKey));

        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST /api/v1/namespaces/_/actions/framed?blocking=true HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{{}}\r\n"));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        string status = (await reader.ReadLineAsync())!;
        string rest = await reader.ReadToEndAsync();

        Assert.Equal("HTTP/1.1 400 Bad Request", status);
        Assert.Contains("Bad chunk size", rest);
        Assert.Empty(JsonNode.Parse(await Guest.GetStringAsync("_/activations?name=framed"))!.AsArray());
    }

    [Theory]
    [InlineData("blocking=TRUE&result=true")]
    [InlineData("blocking=1&result=yes")]
    [InlineData("blocking=on&result=On")]
    public async Task Boolean_query_parameters_are_read_as_openwhisk_reads_them(string query)
    {
        await PutAsync("flags", Echo, overwrite: true);

        using HttpResponseMessage response = await Guest.PostAsync($"_/actions/flags?{query}", Json("""{"flag":1}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"flag":1}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_boolean_query_parameter_that_is_not_a_boolean_is_400_and_nothing_runs()
    {
        await PutAsync("not-a-flag", Echo, overwrite: true);

        await AssertErrorAsync(await Guest.PostAsync("_/actions/not-a-flag?blocking=maybe", Json("{}")), HttpStatusCode.BadRequest, "'maybe' is not a valid Boolean value");
        await AssertErrorAsync(await Guest.PutAsync("_/actions/not-a-flag?overwrite=sure", Json("{}")), HttpStatusCode.BadRequest, "'sure' is not a valid Boolean value");
        Assert.Empty(JsonNode.Parse(await Guest.GetStringAsync("_/activations?name=not-a-flag"))!.AsArray());
    }

    [Fact]
    public async Task A_blocking_caller_that_disconnects_mid_wait_does_not_stop_the_activation_from_completing_with_a_record()
    {
        string gate = Path.Combine(fixture.Invoker.DataDirectory, "abandoned-gate");
        string started = Path.Combine(fixture.Invoker.DataDirectory, "abandoned-started");
        // The activation notes that it started, then waits for the gate: the caller is gone before it can answer.
        await PutAsync("abandoned", $$"""
            const fs = require('fs');
            function main() {
              fs.writeFileSync({{JsonSerializer.Serialize(started)}}, 'yes');
              return new Promise(resolve => {
                const poll = setInterval(() => { if (fs.existsSync({{JsonSerializer.Serialize(gate)}})) { clearInterval(poll); resolve({ finished: true }); } }, 5);
              });
            }
            """);
        using var caller = new CancellationTokenSource();

        Task<HttpResponseMessage> blocking = Guest.PostAsync("_/actions/abandoned?blocking=true", Json("{}"), caller.Token);
        await Eventually.True(() => File.Exists(started), "the activation started", pollMilliseconds: 50);
        await caller.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blocking);
        File.WriteAllText(gate, "open");

        await Eventually.True(
            async () => JsonNode.Parse(await Guest.GetStringAsync("_/activations?name=abandoned"))!.AsArray().Count > 0,
            "the abandoned activation has a record",
            pollMilliseconds: 50);

        JsonNode record = JsonNode.Parse(await Guest.GetStringAsync("_/activations?name=abandoned&docs=true"))!.AsArray().Single()!;
        Assert.Equal(0, (int?)record["response"]!["statusCode"]);
        Assert.True((bool?)record["response"]!["result"]!["finished"]);
    }

    [Fact]
    public async Task Missing_or_wrong_credentials_are_401()
    {
        using var anonymous = new HttpClient { BaseAddress = Guest.BaseAddress };
        using HttpClient wrong = StandaloneInvoker.ClientFor(fixture.Invoker.Url, fixture.Invoker.ApiKey[..^1] + "?");

        await AssertErrorAsync(await anonymous.GetAsync("_/actions"), HttpStatusCode.Unauthorized, "The supplied authentication is invalid.");
        await AssertErrorAsync(await wrong.GetAsync("_/actions"), HttpStatusCode.Unauthorized, "The supplied authentication is invalid.");
    }

    [Fact]
    public async Task Another_namespace_in_the_path_is_403_and_its_actions_and_activations_are_404()
    {
        await PutAsync("private", Echo);
        using HttpResponseMessage invoked = await Guest.PostAsync("_/actions/private?blocking=true", Json("{}"));
        string id = (string)JsonNode.Parse(await invoked.Content.ReadAsStringAsync())!["activationId"]!;

        await AssertErrorAsync(await fixture.Alice.GetAsync("guest/actions/private"), HttpStatusCode.Forbidden, "not authorized");
        await AssertErrorAsync(await fixture.Alice.GetAsync("_/actions/private"), HttpStatusCode.NotFound, "The requested resource does not exist.");
        await AssertErrorAsync(await fixture.Alice.PostAsync("_/actions/private?blocking=true", Json("{}")), HttpStatusCode.NotFound, "does not exist");
        await AssertErrorAsync(await fixture.Alice.GetAsync($"_/activations/{id}"), HttpStatusCode.NotFound, "does not exist");
        await AssertErrorAsync(await fixture.Alice.GetAsync($"_/activations/{id}/logs"), HttpStatusCode.NotFound, "does not exist");
        Assert.DoesNotContain("private", await fixture.Alice.GetStringAsync("_/actions"));
        Assert.DoesNotContain(id, await fixture.Alice.GetStringAsync("_/activations?limit=200"));
        Assert.Equal("""["alice"]""", await fixture.Alice.GetStringAsync(""));
    }

    [Fact]
    public async Task Listing_shows_actions_without_code_and_deleting_one_makes_it_404()
    {
        await PutAsync("listed", Echo);

        JsonArray list = JsonNode.Parse(await Guest.GetStringAsync("_/actions?limit=200"))!.AsArray();
        JsonNode listed = list.Single(a => (string?)a!["name"] == "listed")!;
        Assert.Null(listed["exec"]!["code"]);
        using HttpResponseMessage deleted = await Guest.DeleteAsync("_/actions/listed");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        await AssertErrorAsync(await Guest.GetAsync("_/actions/listed"), HttpStatusCode.NotFound, "does not exist");
        await AssertErrorAsync(await Guest.DeleteAsync("_/actions/listed"), HttpStatusCode.NotFound, "does not exist");
    }

    [Fact]
    public async Task Unknown_activation_ids_and_routes_are_404_and_malformed_names_and_limits_400()
    {
        await AssertErrorAsync(await Guest.GetAsync("_/activations/0123456789abcdef0123456789abcdef"), HttpStatusCode.NotFound, "does not exist");
        await AssertErrorAsync(await Guest.GetAsync("_/activations/not-an-id"), HttpStatusCode.NotFound, "does not exist");
        await AssertErrorAsync(await Guest.GetAsync("_/actions/%20leading-space"), HttpStatusCode.BadRequest, "is not valid");
        await AssertErrorAsync(await Guest.GetAsync("_/activations?limit=201"), HttpStatusCode.BadRequest, "limit must be a number from 0 to 200");
        await AssertErrorAsync(await Guest.GetAsync("_/no-such-collection"), HttpStatusCode.NotFound, "does not exist");
    }

    [Fact]
    public async Task Metrics_count_the_activations_and_a_disabled_invoker_refuses_new_ones_with_503_until_enabled()
    {
        await PutAsync("metered", Echo);
        using var admin = new HttpClient { BaseAddress = new Uri(fixture.Invoker.Url) };
        double before = SuccessCount(await admin.GetStringAsync("/metrics"));

        using (HttpResponseMessage ok = await Guest.PostAsync("_/actions/metered?blocking=true", Json("{}")))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        string metrics = await admin.GetStringAsync("/metrics");
        Assert.Equal(before + 1, SuccessCount(metrics));
        Assert.Contains("invoker_feed_credits_in_use 0", metrics);
        Assert.Contains("invoker_enabled 1", metrics);
        // The action's put, the enqueue and the record at least, in at most as many commits.
        Assert.True(Sample(metrics, "invoker_sqlite_writes_total") >= 3, metrics);
        Assert.InRange(Sample(metrics, "invoker_sqlite_commits_total"), 1, Sample(metrics, "invoker_sqlite_writes_total"));

        using (HttpResponseMessage disabled = await admin.PostAsync("/invoker/disable", null))
        {
            Assert.Equal("""{"enabled":false}""", await disabled.Content.ReadAsStringAsync());
        }

        try
        {
            await AssertErrorAsync(await Guest.PostAsync("_/actions/metered?blocking=true", Json("{}")), HttpStatusCode.ServiceUnavailable, "disabled");
            Assert.Contains("invoker_enabled 0", await admin.GetStringAsync("/metrics"));
        }
        finally
        {
            (await admin.PostAsync("/invoker/enable", null)).Dispose();
        }

        using HttpResponseMessage again = await Guest.PostAsync("_/actions/metered?blocking=true", Json("{}"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    private static double Sample(string metrics, string name) =>
        double.Parse(metrics.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal)).Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);

    private static double SuccessCount(string metrics) =>
        double.Parse(metrics.Split('\n').Single(l => l.StartsWith("invoker_activations_total{status=\"success\"}", StringComparison.Ordinal)).Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);

    private async Task<JsonNode> PutAsync(string name, string code, string? limits = null, string? parameters = null, bool overwrite = false)
    {
        string extra = (limits is null ? "" : $",\"limits\":{limits}") + (parameters is null ? "" : $",\"parameters\":{parameters}");
        string body = $$$"""{"exec":{"kind":"nodejs:20","code":{{{JsonSerializer.Serialize(code)}}}}{{{extra}}}}""";
        using HttpResponseMessage response = await Guest.PutAsync($"_/actions/{name}{(overwrite ? "?overwrite=true" : "")}", Json(body));
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"PUT {name}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>Non-blocking results land in the store asynchronously: polls (bounded) until the record is there.</summary>
    internal static async Task<JsonNode> FetchActivationAsync(HttpClient client, string id)
    {
        JsonNode? record = null;
        await Eventually.True(
            async () =>
            {
                using HttpResponseMessage response = await client.GetAsync($"_/activations/{id}");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    record = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                    return true;
                }

                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
                return false;
            },
            $"activation {id} has a record",
            pollMilliseconds: 50);
        return record!;
    }

    private static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string error)
    {
        using (response)
        {
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
            JsonNode json = JsonNode.Parse(body)!;
            Assert.Contains(error, (string?)json["error"]);
            Assert.False(string.IsNullOrEmpty((string?)json["code"]));
        }
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
