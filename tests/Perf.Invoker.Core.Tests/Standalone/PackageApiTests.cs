using System.Net;
using System.Text.Json.Nodes;
using static Perf.Invoker.Tests.Standalone.ApiRequests;

namespace Perf.Invoker.Tests.Standalone;

/// <summary>Packages, actions in packages and bindings, with OpenWhisk's documents and errors, through the real invoker.</summary>
[Trait("Category", "Process")]
public sealed class PackageApiTests(StandaloneFixture fixture) : IClassFixture<StandaloneFixture>
{
    private HttpClient Guest => fixture.Guest;

    private HttpClient Alice => fixture.Alice;

    private static string Package(string parameters = "[]", string extra = "") => $$"""{"parameters":{{parameters}}{{extra}}}""";

    [Fact]
    public async Task A_package_is_created_listed_got_with_its_actions_and_counted()
    {
        JsonNode created = await SendAsync(Guest, HttpMethod.Put, "_/packages/listed", Package(Parameters(("p", "1"))));
        await SendAsync(Guest, HttpMethod.Put, "_/actions/listed/one", ActionBody(Echo));

        JsonNode got = await SendAsync(Guest, HttpMethod.Get, "_/packages/listed");
        JsonNode list = await SendAsync(Guest, HttpMethod.Get, "_/packages?limit=200");
        JsonNode count = await SendAsync(Guest, HttpMethod.Get, "_/packages?count=true");

        Assert.Equal(("guest", "listed", "0.0.1", "{}"), ((string?)created["namespace"], (string?)created["name"], (string?)created["version"], created["binding"]!.ToJsonString()));
        Assert.Null(created["actions"]);
        Assert.Equal("one", (string?)got["actions"]!.AsArray().Single()!["name"]);
        Assert.Empty(got["feeds"]!.AsArray());
        JsonNode summary = list.AsArray().Single(p => (string?)p!["name"] == "listed")!;
        Assert.Equal(("guest", "false"), ((string?)summary["namespace"], summary["binding"]!.ToJsonString()));
        Assert.Equal(list.AsArray().Count, (int?)count["packages"]);
        await AssertErrorAsync(Guest, HttpMethod.Put, "_/packages/listed", HttpStatusCode.Conflict, "The requested resource already exists.", Package());
    }

    [Fact]
    public async Task An_update_keeps_what_it_leaves_out_and_default_is_a_reserved_name()
    {
        await SendAsync(Guest, HttpMethod.Put, "_/packages/kept", Package(Parameters(("p", "1")), ""","publish":true"""));

        JsonNode updated = await SendAsync(Guest, HttpMethod.Put, "_/packages/kept?overwrite=true", """{"annotations":[{"key":"a","value":1}]}""");

        Assert.Equal(("0.0.2", true, "1"), ((string?)updated["version"], (bool?)updated["publish"], (string?)updated["parameters"]![0]!["value"]));
        await AssertErrorAsync(Guest, HttpMethod.Put, "_/packages/default", HttpStatusCode.BadRequest, "Package name 'default' is reserved.", Package());
    }

    [Fact]
    public async Task An_action_in_a_package_lives_in_guest_slash_package_and_runs_with_package_below_action_below_invoke_parameters()
    {
        await SendAsync(Guest, HttpMethod.Put, "_/packages/utils", Package(Parameters(("a", "package"), ("b", "package"), ("c", "package"))));
        JsonNode created = await SendAsync(Guest, HttpMethod.Put, "_/actions/utils/echo", ActionBody(Echo, $"\"parameters\":{Parameters(("b", "action"), ("c", "action"))}"));

        JsonNode got = await SendAsync(Guest, HttpMethod.Get, "_/actions/utils/echo");
        JsonNode inPackage = await SendAsync(Guest, HttpMethod.Get, "_/actions/utils/");
        JsonNode escaped = await SendAsync(Guest, HttpMethod.Get, "guest%2Futils/actions");
        JsonNode all = await SendAsync(Guest, HttpMethod.Get, "_/actions?limit=200");
        JsonNode record = await SendAsync(Guest, HttpMethod.Post, "_/actions/utils/echo?blocking=true", """{"c":"invoke"}""");

        Assert.Equal(("guest/utils", "echo"), ((string?)created["namespace"], (string?)created["name"]));
        Assert.Equal(3, got["parameters"]!.AsArray().Count);
        Assert.Equal("guest/utils", (string?)inPackage.AsArray().Single()!["namespace"]);
        Assert.Equal("echo", (string?)escaped.AsArray().Single()!["name"]);
        Assert.Contains(all.AsArray(), a => (string?)a!["namespace"] == "guest/utils" && (string?)a["name"] == "echo");
        Assert.Equal("""{"a":"package","b":"action","c":"invoke"}""", record["response"]!["result"]!.ToJsonString());
        Assert.Equal(("guest", "echo"), ((string?)record["namespace"], (string?)record["name"]));
        Assert.Contains(record["annotations"]!.AsArray(), a => (string?)a!["key"] == "path" && (string?)a["value"] == "guest/utils/echo");
        JsonNode byName = await SendAsync(Guest, HttpMethod.Get, "_/activations?name=utils/echo");
        Assert.Equal((string?)record["activationId"], (string?)byName.AsArray().Single()!["activationId"]);
    }

    [Fact]
    public async Task Invoking_through_a_binding_runs_the_bound_action_with_package_below_binding_below_action_below_invoke()
    {
        await SendAsync(Guest, HttpMethod.Put, "_/packages/provider", Package(Parameters(("a", "package"), ("b", "package"), ("c", "package"), ("d", "package"))));
        await SendAsync(Guest, HttpMethod.Put, "_/actions/provider/echo", ActionBody(Echo, $"\"parameters\":{Parameters(("c", "action"), ("d", "action"))}"));
        JsonNode binding = await SendAsync(Guest, HttpMethod.Put, "_/packages/bound", """{"binding":{"namespace":"_","name":"provider"},"parameters":[{"key":"b","value":"binding"},{"key":"c","value":"binding"}]}""");

        JsonNode got = await SendAsync(Guest, HttpMethod.Get, "_/packages/bound");
        JsonNode actions = await SendAsync(Guest, HttpMethod.Get, "_/actions/bound/");
        JsonNode result = await SendAsync(Guest, HttpMethod.Post, "_/actions/bound/echo?blocking=true&result=true", """{"d":"invoke"}""");

        Assert.Equal("""{"namespace":"guest","name":"provider"}""", binding["binding"]!.ToJsonString());
        Assert.Contains(binding["annotations"]!.AsArray(), a => (string?)a!["key"] == "binding");
        Assert.Equal("echo", (string?)got["actions"]!.AsArray().Single()!["name"]);
        Assert.Equal(4, got["parameters"]!.AsArray().Count);
        Assert.Equal("guest/provider", (string?)actions.AsArray().Single()!["namespace"]);
        Assert.Equal("""{"a":"package","b":"binding","c":"action","d":"invoke"}""", result.ToJsonString());
        Assert.Equal("""{"activations":1}""", (await SendAsync(Guest, HttpMethod.Get, "_/activations?name=bound/echo&count=true")).ToJsonString());
        JsonNode record = (await SendAsync(Guest, HttpMethod.Get, "_/activations?name=bound/echo")).AsArray().Single()!;
        Assert.Contains(record["annotations"]!.AsArray(), a => (string?)a!["key"] == "binding" && (string?)a["value"] == "guest/bound");
    }

    [Fact]
    public async Task Bindings_follow_OpenWhisks_rules()
    {
        await SendAsync(Guest, HttpMethod.Put, "_/packages/real", Package());
        await SendAsync(Guest, HttpMethod.Put, "_/packages/alias", """{"binding":{"namespace":"guest","name":"real"}}""");

        await AssertErrorAsync(Guest, HttpMethod.Put, "_/packages/dangling", HttpStatusCode.BadRequest, "Binding references a package that does not exist.", """{"binding":{"namespace":"guest","name":"missing"}}""");
        await AssertErrorAsync(Guest, HttpMethod.Put, "_/packages/chain", HttpStatusCode.BadRequest, "Cannot bind to another package binding.", """{"binding":{"namespace":"guest","name":"alias"}}""");
        await AssertErrorAsync(Guest, HttpMethod.Put, "_/packages/real?overwrite=true", HttpStatusCode.Conflict, "Resource is a package and cannot be converted into a binding.", """{"binding":{"namespace":"guest","name":"alias"}}""");
        await AssertErrorAsync(Guest, HttpMethod.Put, "_/actions/alias/x", HttpStatusCode.BadRequest, "Operation not permitted on package binding.", ActionBody(Echo));
        await AssertErrorAsync(Guest, HttpMethod.Put, "_/actions/nowhere/x", HttpStatusCode.NotFound, "The requested resource does not exist.", ActionBody(Echo));
        await AssertErrorAsync(Guest, HttpMethod.Get, "_/actions/nowhere/x", HttpStatusCode.NotFound, "The requested resource does not exist.");
    }

    [Fact]
    public async Task A_package_with_actions_is_not_deleted_until_they_are()
    {
        await SendAsync(Guest, HttpMethod.Put, "_/packages/full", Package());
        await SendAsync(Guest, HttpMethod.Put, "_/actions/full/inside", ActionBody(Echo));

        await AssertErrorAsync(Guest, HttpMethod.Delete, "_/packages/full", HttpStatusCode.Conflict, "Package not empty (contains 1 entity)");
        JsonNode deletedAction = await SendAsync(Guest, HttpMethod.Delete, "_/actions/full/inside");
        JsonNode deleted = await SendAsync(Guest, HttpMethod.Delete, "_/packages/full");

        Assert.Equal("guest/full", (string?)deletedAction["namespace"]);
        Assert.Equal("full", (string?)deleted["name"]);
        await AssertErrorAsync(Guest, HttpMethod.Get, "_/packages/full", HttpStatusCode.NotFound, "The requested resource does not exist.");
    }

    [Fact]
    public async Task A_final_action_refuses_an_invoke_that_sets_a_parameter_it_or_its_package_defines()
    {
        const string Refused = "Request defines parameters that are not allowed (e.g., reserved properties).";
        await SendAsync(Guest, HttpMethod.Put, "_/packages/locked", Package(Parameters(("fromPackage", "p"))));
        await SendAsync(Guest, HttpMethod.Put, "_/actions/locked/final", ActionBody(Echo, $"\"parameters\":{Parameters(("own", "a"))},\"annotations\":[{{\"key\":\"final\",\"value\":true}}]"));

        await AssertErrorAsync(Guest, HttpMethod.Post, "_/actions/locked/final?blocking=true", HttpStatusCode.BadRequest, Refused, """{"fromPackage":"x"}""");
        await AssertErrorAsync(Guest, HttpMethod.Post, "_/actions/locked/final?blocking=true", HttpStatusCode.BadRequest, Refused, """{"own":"x"}""");
        JsonNode result = await SendAsync(Guest, HttpMethod.Post, "_/actions/locked/final?blocking=true&result=true", """{"other":"x"}""");

        Assert.Equal("""{"fromPackage":"p","own":"a","other":"x"}""", result.ToJsonString());
    }

    [Fact]
    public async Task The_default_package_names_the_actions_outside_any_package()
    {
        await SendAsync(Guest, HttpMethod.Put, "_/actions/default/plain", ActionBody(Echo));

        JsonNode got = await SendAsync(Guest, HttpMethod.Get, "_/actions/plain");
        JsonNode result = await SendAsync(Guest, HttpMethod.Post, "_/actions/default/plain?blocking=true&result=true", """{"x":1}""");

        Assert.Equal(("guest", "plain"), ((string?)got["namespace"], (string?)got["name"]));
        Assert.Equal("""{"x":1}""", result.ToJsonString());
    }

    [Fact]
    public async Task Another_namespace_reaches_a_package_only_by_binding_it_once_it_is_published()
    {
        await SendAsync(Guest, HttpMethod.Put, "_/packages/shared", Package(Parameters(("owner", "guest"))));
        await SendAsync(Guest, HttpMethod.Put, "_/actions/shared/echo", ActionBody(Echo));

        await AssertErrorAsync(Alice, HttpMethod.Get, "guest/packages/shared", HttpStatusCode.Forbidden, "The supplied authentication is not authorized to access this resource.");
        await AssertErrorAsync(Alice, HttpMethod.Put, "_/packages/mine", HttpStatusCode.Forbidden, "The supplied authentication is not authorized to access this resource.", """{"binding":{"namespace":"guest","name":"shared"}}""");
        Assert.Empty((await SendAsync(Alice, HttpMethod.Get, "_/packages")).AsArray());

        await SendAsync(Guest, HttpMethod.Put, "_/packages/shared?overwrite=true", """{"publish":true}""");
        await SendAsync(Alice, HttpMethod.Put, "_/packages/mine", """{"binding":{"namespace":"guest","name":"shared"}}""");
        JsonNode record = await SendAsync(Alice, HttpMethod.Post, "_/actions/mine/echo?blocking=true", "{}");

        Assert.Equal("""{"owner":"guest"}""", record["response"]!["result"]!.ToJsonString());
        Assert.Equal("alice", (string?)record["namespace"]);
    }
}
