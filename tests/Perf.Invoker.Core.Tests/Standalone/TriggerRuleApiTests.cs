using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Perf.Invoker.Tests.Standalone;

/// <summary>One `invoker standalone` process for the trigger and rule tests.</summary>
public sealed class TriggerRuleFixture : IAsyncLifetime
{
    internal StandaloneInvoker Invoker { get; private set; } = null!;

    public async Task InitializeAsync() => Invoker = await StandaloneInvoker.StartAsync();

    public async Task DisposeAsync()
    {
        await Invoker.DisposeAsync();
        Directory.Delete(Invoker.DataDirectory, recursive: true);
    }
}

/// <summary>Triggers, rules and the built-in alarms feed through the real invoker, as OpenWhisk's controller answers them.</summary>
[Trait("Category", "Process")]
public sealed class TriggerRuleApiTests(TriggerRuleFixture fixture) : IClassFixture<TriggerRuleFixture>
{
    private const string Echo = "function main(params) { return params; }";

    private HttpClient Guest => fixture.Invoker.Client;

    [Fact]
    public async Task Firing_a_trigger_runs_each_active_rule_s_action_caused_by_the_trigger_activation_with_the_parameters_merged()
    {
        await PutActionAsync(Guest, "fire-echo", """[{"key":"a","value":"action"},{"key":"b","value":"action"}]""");
        await PutAsync(Guest, "triggers/fire-t", """{"parameters":[{"key":"b","value":"trigger"},{"key":"c","value":"trigger"}]}""");
        JsonNode rule = await PutAsync(Guest, "rules/fire-r", """{"trigger":"/_/fire-t","action":"/_/fire-echo"}""");
        Assert.Equal("active", (string?)rule["status"]);
        Assert.Equal("""{"path":"guest","name":"fire-t"}""", rule["trigger"]!.ToJsonString());

        using HttpResponseMessage fired = await Guest.PostAsync("_/triggers/fire-t", Json("""{"c":"fire"}"""));

        Assert.Equal(HttpStatusCode.Accepted, fired.StatusCode);
        string triggerActivation = (string)JsonNode.Parse(await fired.Content.ReadAsStringAsync())!["activationId"]!;
        Assert.Equal(triggerActivation, fired.Headers.GetValues("x-openwhisk-activation-id").Single());
        JsonNode record = await FetchAsync(Guest, $"_/activations/{triggerActivation}");
        Assert.Equal("fire-t", (string?)record["name"]);
        Assert.Equal("""{"c":"fire"}""", record["response"]!["result"]!.ToJsonString());
        JsonNode log = JsonNode.Parse((string)record["logs"]![0]!)!;
        Assert.Equal((0, true, "guest/fire-r", "guest/fire-echo"), ((int)log["statusCode"]!, (bool)log["success"]!, (string)log["rule"]!, (string)log["action"]!));

        JsonNode action = await FetchAsync(Guest, $"_/activations/{(string)log["activationId"]!}");
        Assert.Equal(triggerActivation, (string?)action["cause"]);
        Assert.Equal("""{"a":"action","b":"trigger","c":"fire"}""", action["response"]!["result"]!.ToJsonString());
    }

    [Fact]
    public async Task A_disabled_rule_fires_nothing_and_a_trigger_without_an_active_rule_answers_204()
    {
        await PutActionAsync(Guest, "toggle-echo");
        await PutAsync(Guest, "triggers/toggle-t", "{}");
        await PutAsync(Guest, "rules/toggle-r", """{"trigger":"/guest/toggle-t","action":"/guest/toggle-echo"}""");

        using HttpResponseMessage disabled = await Guest.PostAsync("_/rules/toggle-r", Json("""{"status":"inactive"}"""));
        Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        Assert.Equal("inactive", (string?)(await GetAsync(Guest, "_/rules/toggle-r"))["status"]);
        Assert.Equal("""{"guest/toggle-r":{"action":{"path":"guest","name":"toggle-echo"},"status":"inactive"}}""", (await GetAsync(Guest, "_/triggers/toggle-t"))["rules"]!.ToJsonString());
        using HttpResponseMessage fired = await Guest.PostAsync("_/triggers/toggle-t", Json("{}"));
        Assert.Equal(HttpStatusCode.NoContent, fired.StatusCode);
        Assert.Empty(await ListAsync(Guest, "_/activations?name=toggle-t"));

        using HttpResponseMessage enabled = await Guest.PostAsync("_/rules/toggle-r", Json("""{"status":"active"}"""));
        Assert.Equal(HttpStatusCode.OK, enabled.StatusCode);
        using HttpResponseMessage again = await Guest.PostAsync("_/triggers/toggle-t", Json("{}"));
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        await Eventually.True(async () => (await ListAsync(Guest, "_/activations?name=toggle-echo")).Count == 1, "the enabled rule's action ran", seconds: 60, pollMilliseconds: 200);
    }

    [Fact]
    public async Task Rules_are_refused_as_OpenWhisk_refuses_them_and_outlive_their_trigger_as_inactive()
    {
        await PutActionAsync(Guest, "crud-echo");
        await PutAsync(Guest, "triggers/crud-t", "{}");

        await AssertErrorAsync(await Guest.PutAsync("_/rules/crud-r", Json("""{"trigger":"/guest/nope","action":"/guest/crud-echo"}""")), HttpStatusCode.BadRequest, "trigger /guest/nope does not exist");
        await AssertErrorAsync(await Guest.PutAsync("_/rules/crud-r", Json("""{"trigger":"/guest/crud-t","action":"/guest/nope"}""")), HttpStatusCode.BadRequest, "action /guest/nope does not exist");
        await AssertErrorAsync(await Guest.PutAsync("_/rules/crud-r", Json("""{"trigger":"/guest/crud-t"}""")), HttpStatusCode.BadRequest, "rule requires a valid trigger and a valid action");
        await AssertErrorAsync(await Guest.PutAsync("_/rules/crud-r", Json("""{"trigger":"crud-t","action":"crud-echo"}""")), HttpStatusCode.BadRequest, "must contain at least the namespace and the name");
        await AssertErrorAsync(await Guest.PutAsync("_/rules/crud-r", Json("""{"trigger":"/alice/crud-t","action":"/guest/crud-echo"}""")), HttpStatusCode.Forbidden, "not authorized");
        await PutAsync(Guest, "rules/crud-r", """{"trigger":"/guest/crud-t","action":"/guest/crud-echo"}""");
        await AssertErrorAsync(await Guest.PutAsync("_/rules/crud-r", Json("""{"trigger":"/guest/crud-t","action":"/guest/crud-echo"}""")), HttpStatusCode.Conflict, "already exists");
        await AssertErrorAsync(await Guest.PostAsync("_/rules/crud-r", Json("""{"status":"paused"}""")), HttpStatusCode.BadRequest, "'paused' is not a recognized rule state");
        Assert.Contains(await ListAsync(Guest, "_/rules"), listed => (string?)listed!["name"] == "crud-r");

        JsonNode deletedTrigger = await DeleteAsync(Guest, "_/triggers/crud-t");
        Assert.Equal("crud-t", (string?)deletedTrigger["name"]);
        Assert.Equal("inactive", (string?)(await GetAsync(Guest, "_/rules/crud-r"))["status"]);
        await AssertErrorAsync(await Guest.PostAsync("_/rules/crud-r", Json("""{"status":"active"}""")), HttpStatusCode.NotFound, "Only rules with existing triggers can be activated");

        JsonNode deletedRule = await DeleteAsync(Guest, "_/rules/crud-r");
        Assert.Equal("inactive", (string?)deletedRule["status"]);
        await AssertErrorAsync(await Guest.GetAsync("_/rules/crud-r"), HttpStatusCode.NotFound, "does not exist");
    }

    [Fact]
    public async Task Updating_a_trigger_keeps_what_the_request_leaves_out_and_its_rules_and_bumps_the_version()
    {
        await PutActionAsync(Guest, "update-echo");
        await PutAsync(Guest, "triggers/update-t", """{"parameters":[{"key":"p","value":1}],"annotations":[{"key":"feed","value":"/whisk.system/alarms/alarm"}]}""");
        await PutAsync(Guest, "rules/update-r", """{"trigger":"/guest/update-t","action":"/guest/update-echo"}""");

        JsonNode updated = await PutAsync(Guest, "triggers/update-t?overwrite=true", """{"publish":true}""");

        Assert.Equal("0.0.2", (string?)updated["version"]);
        Assert.True((bool?)updated["publish"]);
        Assert.Equal("""[{"key":"p","value":1}]""", updated["parameters"]!.ToJsonString());
        Assert.Equal("active", (string?)updated["rules"]!["guest/update-r"]!["status"]);
        await AssertErrorAsync(await Guest.PutAsync("_/triggers/bad-feed", Json("""{"annotations":[{"key":"feed","value":"not//ok!"}]}""")), HttpStatusCode.BadRequest, "Feed name is not valid");
        Assert.True((int)JsonNode.Parse(await Guest.GetStringAsync("_/rules?count=true"))!["rules"]! >= 1);
    }

    [Fact]
    public async Task The_alarms_interval_feed_fires_the_trigger_from_its_start_date_and_runs_the_rule_s_action()
    {
        await PutActionAsync(Guest, "alarm-echo");
        await PutAsync(Guest, "triggers/alarm-t", """{"annotations":[{"key":"feed","value":"/whisk.system/alarms/interval"}]}""");
        await PutAsync(Guest, "rules/alarm-r", """{"trigger":"/guest/alarm-t","action":"/guest/alarm-echo"}""");
        // Ahead by enough that the creation, however slow the machine, still finds it in the future.
        string start = DateTimeOffset.UtcNow.AddSeconds(10).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

        using HttpResponseMessage created = await fixture.Invoker.Client.PostAsync("whisk.system/actions/alarms/interval?blocking=true", Json($$$"""
            {"lifecycleEvent":"CREATE","triggerName":"/_/alarm-t","authKey":"{{{fixture.Invoker.ApiKey}}}","minutes":1,"startDate":"{{{start}}}","trigger_payload":{"from":"alarm"}}
            """));

        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        JsonNode feedRecord = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        Assert.Equal("""{"status":"success"}""", feedRecord["response"]!["result"]!.ToJsonString());
        await Eventually.True(async () => (await ListAsync(Guest, "_/activations?name=alarm-echo")).Count >= 1, "the alarm fired the rule's action", seconds: 60, pollMilliseconds: 200);
        JsonNode action = (await ListAsync(Guest, "_/activations?name=alarm-echo&docs=true"))[0]!;
        Assert.Equal("alarm", (string?)action["response"]!["result"]!["from"]);
        JsonNode triggerActivation = await FetchAsync(Guest, $"_/activations/{(string)action["cause"]!}");
        Assert.Equal("alarm-t", (string?)triggerActivation["name"]);

        using HttpResponseMessage read = await Guest.PostAsync("whisk.system/actions/alarms/interval?blocking=true&result=true", Json($$"""
            {"lifecycleEvent":"READ","triggerName":"/_/alarm-t","authKey":"{{fixture.Invoker.ApiKey}}"}
            """));
        JsonNode config = JsonNode.Parse(await read.Content.ReadAsStringAsync())!["config"]!;
        Assert.Equal((1, start), ((int)config["minutes"]!, (string)config["startDate"]!));
        using HttpResponseMessage refused = await Guest.PostAsync("whisk.system/actions/alarms/alarm?blocking=true", Json($$"""
            {"lifecycleEvent":"CREATE","triggerName":"/_/alarm-t","authKey":"{{fixture.Invoker.ApiKey}}","cron":"every minute"}
            """));
        Assert.Equal(HttpStatusCode.BadGateway, refused.StatusCode);
        Assert.Contains("cron pattern 'every minute' is not valid", await refused.Content.ReadAsStringAsync());
        JsonNode package = await GetAsync(Guest, "whisk.system/packages/alarms");
        Assert.Equal(["alarm", "once", "interval"], package["feeds"]!.AsArray().Select(feed => (string?)feed!["name"]));
    }

    [Fact]
    public async Task A_cron_alarm_survives_a_restart_of_the_invoker()
    {
        string data = Directory.CreateTempSubdirectory("invoker-alarms-").FullName;
        await using (StandaloneInvoker first = await StandaloneInvoker.StartAsync(data))
        {
            await PutAsync(first.Client, "triggers/tick", """{"annotations":[{"key":"feed","value":"/whisk.system/alarms/alarm"}]}""");
            await PutActionAsync(first.Client, "tock");
            await PutAsync(first.Client, "rules/tick-tock", """{"trigger":"/guest/tick","action":"/guest/tock"}""");
            using HttpResponseMessage created = await first.Client.PostAsync("whisk.system/actions/alarms/alarm?blocking=true&result=true", Json($$"""
                {"lifecycleEvent":"CREATE","triggerName":"/_/tick","authKey":"{{first.ApiKey}}","cron":"*/2 * * * * *"}
                """));
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);
            await Eventually.True(async () => (await ListAsync(first.Client, "_/activations?name=tick")).Count >= 1, "a fire before the restart", seconds: 60, pollMilliseconds: 200);
        }

        await using (StandaloneInvoker second = await StandaloneInvoker.StartAsync(data))
        {
            int before = (await ListAsync(second.Client, "_/activations?name=tick&limit=200")).Count;
            await Eventually.True(async () => (await ListAsync(second.Client, "_/activations?name=tick&limit=200")).Count > before, "a fire after the restart", seconds: 60, pollMilliseconds: 200);
        }

        Directory.Delete(data, recursive: true);
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task PutActionAsync(HttpClient client, string name, string parameters = "[]") =>
        await PutAsync(client, $"actions/{name}", $$"""{"exec":{"kind":"nodejs:20","code":{{JsonSerializer.Serialize(Echo)}}},"parameters":{{parameters}}}""");

    private static async Task<JsonNode> PutAsync(HttpClient client, string path, string body)
    {
        using HttpResponseMessage response = await client.PutAsync("_/" + path, Json(body));
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"PUT {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    private static async Task<JsonNode> GetAsync(HttpClient client, string path) => JsonNode.Parse(await client.GetStringAsync(path))!;

    private static async Task<JsonArray> ListAsync(HttpClient client, string path) => (JsonArray)JsonNode.Parse(await client.GetStringAsync(path))!;

    private static async Task<JsonNode> DeleteAsync(HttpClient client, string path)
    {
        using HttpResponseMessage response = await client.DeleteAsync(path);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"DELETE {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>A record, once it is there (the trigger's at once; an action's when it has run).</summary>
    private static async Task<JsonNode> FetchAsync(HttpClient client, string path)
    {
        JsonNode? record = null;
        await Eventually.True(async () =>
        {
            using HttpResponseMessage response = await client.GetAsync(path);
            record = response.IsSuccessStatusCode ? JsonNode.Parse(await response.Content.ReadAsStringAsync()) : null;
            return record is not null;
        }, $"GET {path}", seconds: 60, pollMilliseconds: 100);
        return record!;
    }

    private static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string contains)
    {
        using (response)
        {
            string text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"{(int)response.StatusCode} {text}");
            Assert.Contains(contains, (string?)JsonNode.Parse(text)!["error"], StringComparison.Ordinal);
        }
    }
}
