using System.Diagnostics;
using Xunit.Abstractions;

namespace Perf.Invoker.Tests.Standalone;

/// <summary>The standalone API as OpenWhisk's own JavaScript client (npm `openwhisk`) sees it: the scenarios in tests/openwhisk-client.</summary>
[Trait("Category", "Process")]
public sealed class OpenWhiskClientTests(ITestOutputHelper output)
{
    [Fact]
    public Task The_openwhisk_npm_client_creates_invokes_fetches_lists_and_deletes_a_concurrency_50_action() => RunAsync("scenario.js");

    [Fact]
    public Task The_openwhisk_npm_client_deploys_a_zip_buffer_updates_by_parameters_counts_and_uses_packages_and_bindings() => RunAsync("actions-and-packages.js");

    private async Task RunAsync(string scenario)
    {
        string client = Path.Combine(Repository.Root, "tests", "openwhisk-client");
        Assert.True(Directory.Exists(Path.Combine(client, "node_modules", "openwhisk")), $"run 'npm ci' in {client} first (test.sh does)");
        await using StandaloneInvoker invoker = await StandaloneInvoker.StartAsync();

        var start = new ProcessStartInfo("node", [Path.Combine(client, scenario)])
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
        Assert.True(node.ExitCode == 0, $"{scenario} failed:\n{await stderr}\ninvoker:\n{invoker.Output}");
        Assert.Contains("\"ok\":true", await stdout);
        Directory.Delete(invoker.DataDirectory, recursive: true);
    }
}
