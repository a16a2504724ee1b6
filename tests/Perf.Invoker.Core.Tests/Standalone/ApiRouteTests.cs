using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Xunit.Abstractions;
using static Perf.Invoker.Tests.Standalone.StandaloneCalls;

namespace Perf.Invoker.Tests.Standalone;

/// <summary>API routes (whisk.system/apimgmt and the gateway on the same port) through the real invoker, as the openwhisk client and Serverless use them.</summary>
[Trait("Category", "Process")]
public sealed class ApiRouteTests(StandaloneFixture fixture, ITestOutputHelper output) : IClassFixture<StandaloneFixture>
{
    private const string Echo = "function main(p) { return p; }";

    private HttpClient Guest => fixture.Guest;

    [Fact]
    public async Task The_openwhisk_clients_routes_create_get_list_call_and_delete_a_route()
    {
        string client = Path.Combine(Repository.Root, "tests", "openwhisk-client");
        Assert.True(Directory.Exists(Path.Combine(client, "node_modules", "openwhisk")), $"run 'npm ci' in {client} first (test.sh does)");
        await using StandaloneInvoker invoker = await StandaloneInvoker.StartAsync();

        var start = new ProcessStartInfo("node", [Path.Combine(client, "routes.js")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["OW_APIHOST"] = invoker.Url, ["OW_AUTH"] = invoker.ApiKey },
        };
        using Process node = Process.Start(start)!;
        Task<string> stdout = node.StandardOutput.ReadToEndAsync();
        Task<string> stderr = node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));

        output.WriteLine(await stdout);
        Assert.True(node.ExitCode == 0, $"routes.js failed:\n{await stderr}\ninvoker:\n{invoker.Output}");
        Assert.Contains("\"ok\":true", await stdout);
        Directory.Delete(invoker.DataDirectory, recursive: true);
    }

    [Fact]
    public async Task A_Serverless_swagger_routes_path_parameters_to_the_web_action_with_the_routes_secret()
    {
        await PutNodeActionAsync(Guest, "svc_books", Echo, extra: ""","annotations":[{"key":"web-export","value":true},{"key":"require-whisk-auth","value":"route-secret"}]""");
        string web = $"{fixture.Invoker.Url}/api/v1/web/guest/default/svc_books.json";
        // What serverless-openwhisk 0.18.4 sends for `http: GET /books/{id}` (compile/apigw: generateSwagger).
        string swagger = """
            {"apidoc":{"namespace":"_","swagger":{"swagger":"2.0","basePath":"/","info":{"title":"svc","version":"1.0"},
              "paths":{"/books/{id}":{"get":{"operationId":"get-/books/{id}","responses":{"200":{"description":"A successful invocation response"}},
                "x-openwhisk":{"action":"svc_books","namespace":"guest","package":"default","url":"WEB$(request.path)"},
                "parameters":[{"name":"id","in":"path","required":true,"type":"string"}]}}},
              "x-ibm-configuration":{"cors":{"enabled":true},"assembly":{"execute":[{"operation-switch":{"case":[{"operations":["get-/books/{id}"],
                "execute":[{"set-variable":{"actions":[{"set":"message.headers.X-Require-Whisk-Auth","value":"route-secret"}]}},{"invoke":{"target-url":"WEB$(request.path)","verb":"keep"}}]}]}}]}}}}}
            """.Replace("WEB", web, StringComparison.Ordinal);

        using HttpResponseMessage created = await Guest.PostAsync($"{fixture.Invoker.Url}/api/v1/web/whisk.system/apimgmt/createApi.http", JsonBody(swagger));
        JsonNode api = JsonNode.Parse(await ReadAsync(created, HttpStatusCode.OK))!;
        string gateway = ((string)api["gwApiUrl"]!).TrimEnd('/');

        using var anonymous = new HttpClient();
        using HttpResponseMessage routed = await anonymous.GetAsync($"{gateway}/books/123?format=short");
        JsonNode input = JsonNode.Parse(await ReadAsync(routed, HttpStatusCode.OK))!;
        Assert.Equal("/books/123", (string?)input["__ow_path"]);
        Assert.Equal("short", (string?)input["format"]);
        Assert.Equal("route-secret", (string?)input["__ow_headers"]!["x-require-whisk-auth"]);
        // The web action itself still wants the secret; the route is what supplies it.
        await AssertErrorAsync(await anonymous.GetAsync(web), HttpStatusCode.Unauthorized, "The supplied authentication is invalid.");
        await AssertErrorAsync(await anonymous.PostAsync($"{gateway}/books/123", JsonBody("{}")), HttpStatusCode.NotFound, "The requested resource does not exist.");

        // serverless info: the listed API names the route's action under gwApiUrl.
        JsonNode listed = JsonNode.Parse(await Guest.GetStringAsync($"{fixture.Invoker.Url}/api/v1/web/whisk.system/apimgmt/getApi.http"))!;
        JsonNode listedApi = listed["apis"]!.AsArray().Single(a => (string?)a!["value"]!["apidoc"]!["info"]!["title"] == "svc")!;
        Assert.Equal("svc_books", (string?)listedApi["value"]!["apidoc"]!["paths"]!["/books/{id}"]!["get"]!["x-openwhisk"]!["action"]);

        using HttpResponseMessage removed = await Guest.DeleteAsync($"{fixture.Invoker.Url}/api/v1/web/whisk.system/apimgmt/deleteApi.http?basepath=/&force=true");
        await ReadAsync(removed, HttpStatusCode.OK);
        await AssertErrorAsync(await anonymous.GetAsync($"{gateway}/books/123"), HttpStatusCode.NotFound, "The requested resource does not exist.");
    }

    [Fact]
    public async Task Route_management_answers_OpenWhisks_routemgmt_errors()
    {
        string apimgmt = $"{fixture.Invoker.Url}/api/v1/web/whisk.system/apimgmt/";

        await AssertRouteErrorAsync(await Guest.DeleteAsync(apimgmt + "deleteApi.http?basepath=/nothing"), "API deletion failure: API '/nothing' does not exist.");
        await AssertRouteErrorAsync(await Guest.DeleteAsync(apimgmt + "deleteApi.http"), "basepath is required.");
        await AssertRouteErrorAsync(await Guest.PostAsync(apimgmt + "createApi.http", JsonBody("{}")), "apidoc is required.");
        await AssertRouteErrorAsync(await Guest.PostAsync(apimgmt + "createApi.http", JsonBody("""{"apidoc":{"namespace":"_","gatewayBasePath":"/x"}}""")), "apidoc is missing the gatewayPath field");
        using var anonymous = new HttpClient();
        await AssertErrorAsync(await anonymous.GetAsync(apimgmt + "getApi.http"), HttpStatusCode.Unauthorized, "The supplied authentication is invalid.");
    }

    [Fact]
    public async Task A_route_survives_a_restart_of_the_invoker()
    {
        StandaloneInvoker invoker = await StandaloneInvoker.StartAsync();
        string data = invoker.DataDirectory;
        string gateway;
        try
        {
            await PutNodeActionAsync(invoker.Client, "kept", "function main() { return { kept: true }; }", extra: ""","annotations":[{"key":"web-export","value":true}]""");
            string apidoc = """
                {"apidoc":{"namespace":"_","gatewayBasePath":"/keep","gatewayPath":"/it","gatewayMethod":"GET","id":"API:_:/keep",
                  "action":{"name":"kept","namespace":"_","backendMethod":"GET","backendUrl":"URL/api/v1/web/_/default/kept.http","authkey":"KEY"}}}
                """.Replace("URL", invoker.Url, StringComparison.Ordinal).Replace("KEY", invoker.ApiKey, StringComparison.Ordinal);
            using HttpResponseMessage created = await invoker.Client.PostAsync($"{invoker.Url}/api/v1/web/whisk.system/apimgmt/createApi.http", JsonBody(apidoc));
            gateway = (string)JsonNode.Parse(await ReadAsync(created, HttpStatusCode.OK))!["gwApiUrl"]!;
        }
        finally
        {
            await invoker.DisposeAsync();
        }

        await using StandaloneInvoker restarted = await StandaloneInvoker.StartAsync(data);
        using var anonymous = new HttpClient();
        string path = new Uri(gateway).AbsolutePath;
        using HttpResponseMessage routed = await anonymous.GetAsync($"{restarted.Url}{path}/it");
        Assert.Equal(true, (bool?)JsonNode.Parse(await ReadAsync(routed, HttpStatusCode.OK))!["kept"]);
        Directory.Delete(data, recursive: true);
    }

    /// <summary>A routemgmt action's failure: 502 with its words as <c>error</c>.</summary>
    private static async Task AssertRouteErrorAsync(HttpResponseMessage response, string error) =>
        Assert.Equal(error, (string?)JsonNode.Parse(await ReadAsync(response, HttpStatusCode.BadGateway))!["error"]);
}
