using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Docker.DotNet.Models;
using Perf.Invoker.Tests.Containers;

namespace Perf.Invoker.Tests.Standalone;

/// <summary>`invoker standalone --containers docker`: the API's actions run in real Docker containers (host network, loopback ports).</summary>
[Trait("Category", "Docker")]
public sealed class StandaloneWithDockerTests
{
    [DockerFact]
    public async Task Standalone_with_docker_containers_runs_concurrent_activations_in_one_container_and_removes_it_when_stopped()
    {
        await DockerTestImages.EnsureBuiltAsync();
        string data = Directory.CreateTempSubdirectory("invoker-standalone-docker-").FullName;
        string prefix;
        await using (StandaloneInvoker invoker = await StandaloneInvoker.StartAsync(
            data, settings: ["--containers", "docker", "--docker-network", "host", "--docker-image", DockerTestImages.NodeRuntime]))
        {
            using HttpResponseMessage put = await invoker.Client.PutAsync("_/actions/hello", new StringContent(
                """{"exec":{"kind":"nodejs:20","code":"function main(p) { return new Promise(r => setTimeout(() => r({ hi: p.name, pid: process.pid }), 200)); }"},"limits":{"concurrency":10}}""",
                Encoding.UTF8,
                "application/json"));
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);

            HttpResponseMessage[] responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
                invoker.Client.PostAsync("_/actions/hello?blocking=true&result=true", new StringContent($$"""{"name":"n{{i}}"}""", Encoding.UTF8, "application/json"))));
            var results = new List<JsonNode>();
            foreach (HttpResponseMessage response in responses)
            {
                string body = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.OK, body + "\n" + invoker.Output);
                results.Add(JsonNode.Parse(body)!);
                response.Dispose();
            }

            Assert.Equal(Enumerable.Range(0, 10).Select(i => $"n{i}").Order(), results.Select(r => (string)r["hi"]!).Order());
            prefix = "/standalone-";
            // Beside the built-in manifest's two nodejs:20 stem cells, which a concurrent action does not take.
            IList<ContainerListResponse> containers = await ContainersAsync(prefix);
            Assert.Equal(2, containers.Count(c => c.Names.Any(n => n.Contains("_prewarm_", StringComparison.Ordinal))));
            Assert.Single(containers, c => !c.Names.Any(n => n.Contains("_prewarm_", StringComparison.Ordinal)));
        }

        Assert.Empty(await ContainersAsync(prefix));
        Directory.Delete(data, recursive: true);
    }

    private static async Task<IList<ContainerListResponse>> ContainersAsync(string prefix)
    {
        using var docker = DockerTestImages.NewClient();
        IList<ContainerListResponse> all = await docker.Containers.ListContainersAsync(new ContainersListParameters { All = true });
        return [.. all.Where(c => c.Names?.Any(n => n.StartsWith(prefix, StringComparison.Ordinal)) == true)];
    }
}
