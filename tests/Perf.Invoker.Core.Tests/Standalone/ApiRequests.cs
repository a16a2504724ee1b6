using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Perf.Invoker.Tests.Standalone;

/// <summary>The requests and checks the REST API tests share: JSON bodies, answers read as JSON, OpenWhisk's error body.</summary>
internal static class ApiRequests
{
    public const string Echo = "function main(params) { return params; }";

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>An action body of nodejs:20 code with the given JSON members after exec.</summary>
    public static string ActionBody(string code, string extra = "") =>
        $$$"""{"exec":{"kind":"nodejs:20","code":{{{JsonSerializer.Serialize(code)}}}}{{{(extra.Length > 0 ? "," + extra : "")}}}}""";

    /// <summary>Sends and expects <paramref name="status"/>; the answer as JSON.</summary>
    public static async Task<JsonNode> SendAsync(HttpClient client, HttpMethod method, string path, string? body = null, HttpStatusCode status = HttpStatusCode.OK)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : Json(body) };
        using HttpResponseMessage response = await client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{method} {path}: expected {(int)status}, got {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>OpenWhisk's error body with <paramref name="error"/> in it and a request code, with <paramref name="status"/>.</summary>
    public static async Task AssertErrorAsync(HttpClient client, HttpMethod method, string path, HttpStatusCode status, string error, string? body = null)
    {
        JsonNode json = await SendAsync(client, method, path, body, status);
        Assert.Equal(error, (string?)json["error"]);
        Assert.False(string.IsNullOrEmpty((string?)json["code"]));
    }

    public static string Parameters(params (string Key, string Value)[] values) =>
        "[" + string.Join(",", values.Select(v => $$"""{"key":"{{v.Key}}","value":"{{v.Value}}"}""")) + "]";
}
