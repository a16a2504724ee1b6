using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using static Perf.Invoker.Tests.Standalone.StandaloneCalls;

namespace Perf.Invoker.Tests.Standalone;

/// <summary>Web actions (/api/v1/web/…) through the real invoker: OpenWhisk's input contract, extensions, annotations and answers.</summary>
[Trait("Category", "Process")]
public sealed class WebActionTests(StandaloneFixture fixture) : IClassFixture<StandaloneFixture>, IDisposable
{
    private const string Echo = "function main(p) { return p; }";
    private const string Exported = ""","annotations":[{"key":"web-export","value":true}""";

    private readonly HttpClient _anonymous = new() { BaseAddress = new Uri(fixture.Invoker.Url + "/api/v1/web/"), Timeout = TimeSpan.FromMinutes(2) };

    private HttpClient Guest => fixture.Guest;

    public void Dispose() => _anonymous.Dispose();

    [Fact]
    public async Task An_exported_action_answers_anyone_with_the_request_as_its_input()
    {
        await PutNodeActionAsync(Guest, "web-echo", Echo, extra: Exported + "]");

        using HttpResponseMessage response = await _anonymous.GetAsync("guest/default/web-echo.json/some/path?name=web&n=1");
        JsonNode input = JsonNode.Parse(await ReadAsync(response, HttpStatusCode.OK))!;

        Assert.Equal("web", (string?)input["name"]);
        Assert.Equal("1", (string?)input["n"]);
        Assert.Equal("get", (string?)input["__ow_method"]);
        Assert.Equal("/some/path", (string?)input["__ow_path"]);
        Assert.NotNull(input["__ow_headers"]!["host"]);
        Assert.Null(input["__ow_user"]);
        Assert.Single(response.Headers.GetValues("x-openwhisk-activation-id"));
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Fact]
    public async Task A_JSON_body_is_merged_over_the_query_and_the_action_defaults()
    {
        await PutNodeActionAsync(Guest, "web-merge", Echo, extra: Exported + """],"parameters":[{"key":"fixed","value":"default"},{"key":"a","value":"default"}]""");

        using HttpResponseMessage response = await _anonymous.PostAsync("guest/default/web-merge.json?a=query&b=query", JsonBody("""{"b":"body","c":[1,2]}"""));
        JsonNode input = JsonNode.Parse(await ReadAsync(response, HttpStatusCode.OK))!;

        Assert.Equal("default", (string?)input["fixed"]);
        Assert.Equal("query", (string?)input["a"]);
        Assert.Equal("body", (string?)input["b"]);
        Assert.Equal(2, input["c"]!.AsArray().Count);
        Assert.Equal("post", (string?)input["__ow_method"]);
        Assert.Equal("application/json; charset=utf-8", (string?)input["__ow_headers"]!["content-type"]);
    }

    [Fact]
    public async Task Reserved_and_final_parameters_cannot_be_overridden()
    {
        await PutNodeActionAsync(Guest, "web-final", Echo, extra: ""","annotations":[{"key":"web-export","value":true},{"key":"final","value":true}],"parameters":[{"key":"locked","value":"kept"}]""");

        await AssertErrorAsync(await _anonymous.GetAsync("guest/default/web-final.json?__ow_method=x"), HttpStatusCode.BadRequest,
            "Request defines parameters that are not allowed (e.g., reserved properties).");
        await AssertErrorAsync(await _anonymous.PostAsync("guest/default/web-final.json", JsonBody("""{"locked":"changed"}""")), HttpStatusCode.BadRequest,
            "Request defines parameters that are not allowed (e.g., reserved properties).");
        using HttpResponseMessage allowed = await _anonymous.GetAsync("guest/default/web-final.json?other=1");
        Assert.Equal("kept", (string?)JsonNode.Parse(await ReadAsync(allowed, HttpStatusCode.OK))!["locked"]);
    }

    [Fact]
    public async Task What_is_not_an_exported_action_is_OpenWhisks_404()
    {
        await PutNodeActionAsync(Guest, "web-private", Echo);

        await AssertErrorAsync(await _anonymous.GetAsync("guest/default/web-private.json"), HttpStatusCode.NotFound, "The requested resource does not exist.");
        await AssertErrorAsync(await _anonymous.GetAsync("guest/default/web-nothing.json"), HttpStatusCode.NotFound, "The requested resource does not exist.");
        await AssertErrorAsync(await _anonymous.GetAsync("nobody/default/web-private.json"), HttpStatusCode.NotFound, "The requested resource does not exist.");
    }

    [Fact]
    public async Task The_http_extension_and_no_extension_answer_with_the_results_status_headers_and_body()
    {
        byte[] png = [0x89, 0x50, 0x4e, 0x47, 0x00, 0xff];
        await PutNodeActionAsync(Guest, "web-png", $$"""function main() { return { statusCode: 201, headers: { 'Content-Type': 'image/png', 'X-Custom': ['a', 'b'] }, body: '{{Convert.ToBase64String(png)}}' }; }""", extra: Exported + "]");
        await PutNodeActionAsync(Guest, "web-page", "function main() { return { body: '<p>hi</p>' }; }", extra: Exported + "]");
        await PutNodeActionAsync(Guest, "web-empty", "function main() { return { headers: { location: '/there' } }; }", extra: Exported + "]");

        using HttpResponseMessage image = await _anonymous.GetAsync("guest/default/web-png.http");
        Assert.Equal(HttpStatusCode.Created, image.StatusCode);
        Assert.Equal("image/png", image.Content.Headers.ContentType!.MediaType);
        Assert.Equal(png, await image.Content.ReadAsByteArrayAsync());
        Assert.Equal(["a", "b"], image.Headers.GetValues("X-Custom"));

        using HttpResponseMessage page = await _anonymous.GetAsync("guest/default/web-page");
        Assert.Equal("<p>hi</p>", await ReadAsync(page, HttpStatusCode.OK));
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);

        using HttpResponseMessage empty = await _anonymous.GetAsync("guest/default/web-empty.http");
        Assert.Equal(HttpStatusCode.NoContent, empty.StatusCode);
        Assert.Equal("/there", empty.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task The_html_text_and_svg_extensions_answer_their_member_and_refuse_what_does_not_fit()
    {
        await PutNodeActionAsync(Guest, "web-media", "function main() { return { html: '<b>x</b>', text: 'plain', svg: '<svg/>', n: 5 }; }", extra: Exported + "]");
        await PutNodeActionAsync(Guest, "web-number", "function main() { return { body: 42 }; }", extra: Exported + "]");

        using HttpResponseMessage html = await _anonymous.GetAsync("guest/default/web-media.html");
        Assert.Equal("<b>x</b>", await ReadAsync(html, HttpStatusCode.OK));
        Assert.Equal("text/html", html.Content.Headers.ContentType!.MediaType);
        using HttpResponseMessage text = await _anonymous.GetAsync("guest/default/web-media.text");
        Assert.Equal("plain", await ReadAsync(text, HttpStatusCode.OK));
        Assert.Equal("text/plain", text.Content.Headers.ContentType!.MediaType);
        using HttpResponseMessage svg = await _anonymous.GetAsync("guest/default/web-media.svg");
        Assert.Equal("<svg/>", await ReadAsync(svg, HttpStatusCode.OK));
        Assert.Equal("image/svg+xml", svg.Content.Headers.ContentType!.MediaType);

        await AssertErrorAsync(await _anonymous.GetAsync("guest/default/web-number.html"), HttpStatusCode.BadRequest, "Response is not valid 'text/html'.");
        using HttpResponseMessage number = await _anonymous.GetAsync("guest/default/web-number.text");
        Assert.Equal("42", await ReadAsync(number, HttpStatusCode.OK));
    }

    [Fact]
    public async Task A_raw_http_action_gets_the_query_string_and_the_body_as_they_came()
    {
        await PutNodeActionAsync(Guest, "web-raw", Echo, extra: ""","annotations":[{"key":"web-export","value":true},{"key":"raw-http","value":true}]""");

        using HttpResponseMessage json = await _anonymous.PostAsync("guest/default/web-raw.json?a=1&b=two", JsonBody("""{"x":1}"""));
        JsonNode input = JsonNode.Parse(await ReadAsync(json, HttpStatusCode.OK))!;
        Assert.Equal("a=1&b=two", (string?)input["__ow_query"]);
        Assert.Equal("""{"x":1}""", Encoding.UTF8.GetString(Convert.FromBase64String((string)input["__ow_body"]!)));
        Assert.Null(input["a"]);

        using HttpResponseMessage text = await _anonymous.PostAsync("guest/default/web-raw.json", new StringContent("plain words", Encoding.UTF8, "text/plain"));
        Assert.Equal("plain words", (string?)JsonNode.Parse(await ReadAsync(text, HttpStatusCode.OK))!["__ow_body"]);
    }

    [Fact]
    public async Task Require_whisk_auth_asks_for_the_secret_or_for_a_valid_key()
    {
        await PutNodeActionAsync(Guest, "web-secret", Echo, extra: ""","annotations":[{"key":"web-export","value":true},{"key":"require-whisk-auth","value":"s3cret"}]""");
        await PutNodeActionAsync(Guest, "web-keyed", Echo, extra: ""","annotations":[{"key":"web-export","value":true},{"key":"require-whisk-auth","value":true}]""");

        await AssertErrorAsync(await _anonymous.GetAsync("guest/default/web-secret.json"), HttpStatusCode.Unauthorized, "The supplied authentication is invalid.");
        using var withSecret = new HttpRequestMessage(HttpMethod.Get, "guest/default/web-secret.json") { Headers = { { "X-Require-Whisk-Auth", "s3cret" } } };
        await ReadAsync(await _anonymous.SendAsync(withSecret), HttpStatusCode.OK);

        await AssertErrorAsync(await _anonymous.GetAsync("guest/default/web-keyed.json"), HttpStatusCode.Unauthorized, "The supplied authentication is invalid.");
        using var withKey = new HttpRequestMessage(HttpMethod.Get, "guest/default/web-keyed.json")
        {
            Headers = { Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(fixture.Invoker.ApiKey))) },
        };
        JsonNode input = JsonNode.Parse(await ReadAsync(await _anonymous.SendAsync(withKey), HttpStatusCode.OK))!;
        Assert.Equal("guest", (string?)input["__ow_user"]);
    }

    [Fact]
    public async Task An_application_error_answers_its_error_member_and_OPTIONS_answers_CORS()
    {
        await PutNodeActionAsync(Guest, "web-error", "function main() { return { error: { statusCode: 418, body: 'teapot' } }; }", extra: Exported + "]");

        using HttpResponseMessage error = await _anonymous.GetAsync("guest/default/web-error.http");
        Assert.Equal("teapot", await ReadAsync(error, (HttpStatusCode)418));

        using var options = new HttpRequestMessage(HttpMethod.Options, "guest/default/web-error.http") { Headers = { { "Access-Control-Request-Headers", "X-Mine" } } };
        using HttpResponseMessage preflight = await _anonymous.SendAsync(options);
        Assert.Equal(HttpStatusCode.OK, preflight.StatusCode);
        Assert.Equal("X-Mine", preflight.Headers.GetValues("Access-Control-Allow-Headers").Single());
        Assert.Contains("PATCH", preflight.Headers.GetValues("Access-Control-Allow-Methods").Single());
    }

    [Fact]
    public async Task A_web_exported_sequence_runs_as_a_web_action()
    {
        await PutNodeActionAsync(Guest, "web-seq-a", "function main(p) { return { greeting: 'hello ' + p.name }; }");
        await PutActionAsync(Guest, "web-seq", """{"exec":{"kind":"sequence","components":["/guest/web-seq-a"]},"annotations":[{"key":"web-export","value":true}]}""");

        using HttpResponseMessage response = await _anonymous.GetAsync("guest/default/web-seq.json?name=seq");

        Assert.Equal("hello seq", (string?)JsonNode.Parse(await ReadAsync(response, HttpStatusCode.OK))!["greeting"]);
    }
}
