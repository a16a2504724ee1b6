using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Perf.Invoker.Tests.Standalone;

/// <summary>The requests the sequence, web action and API route tests make of `invoker standalone`, and their checks.</summary>
internal static class StandaloneCalls
{
    /// <summary>PUT an action (nodejs:20 with <paramref name="code"/>) and the extra members of its document; fails the test unless 200.</summary>
    public static Task<JsonNode> PutNodeActionAsync(HttpClient client, string name, string code, string extra = "") =>
        PutActionAsync(client, name, $$$"""{"exec":{"kind":"nodejs:20","code":{{{JsonSerializer.Serialize(code)}}}}{{{extra}}}}""");

    public static async Task<JsonNode> PutActionAsync(HttpClient client, string name, string document)
    {
        using HttpResponseMessage response = await client.PutAsync($"_/actions/{name}?overwrite=true", JsonBody(document));
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"PUT {name}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    public static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string error)
    {
        using (response)
        {
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
            JsonNode json = JsonNode.Parse(body)!;
            Assert.Equal(error, (string?)json["error"]);
            Assert.False(string.IsNullOrEmpty((string?)json["code"]));
        }
    }

    /// <summary>The body of a response that must have <paramref name="status"/>.</summary>
    public static async Task<string> ReadAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        using (response)
        {
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
            return body;
        }
    }

    public static StringContent JsonBody(string json) => new(json, Encoding.UTF8, "application/json");
}
