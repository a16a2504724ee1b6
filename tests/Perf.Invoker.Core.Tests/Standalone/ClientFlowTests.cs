using System.Diagnostics;
using Xunit.Abstractions;

namespace Perf.Invoker.Tests.Standalone;

/// <summary>
/// Issue 14's client flows against the real invoker: the Serverless Framework with serverless-openwhisk, every method of
/// the `openwhisk` npm client and @adobe/aio-lib-runtime, each a node script in tests/openwhisk-client that prints one
/// line per step and exits non-zero naming the step that failed and why.
/// </summary>
[Trait("Category", "Process")]
public sealed class ClientFlowTests(ITestOutputHelper output)
{
    [Fact]
    public Task The_Serverless_Framework_deploys_a_service_of_every_kind_invokes_it_shows_its_logs_fires_its_triggers_and_removes_it() =>
        RunFlowAsync("serverless-flow.js");

    [Fact]
    public Task Every_method_of_the_openwhisk_npm_client_gets_the_answer_OpenWhisk_gives() => RunFlowAsync("client-methods.js");

    [Fact]
    public Task The_aio_runtime_library_syncs_a_manifest_with_a_package_a_web_action_and_a_rule_and_undeploys_it() =>
        RunFlowAsync("aio-flow.js");

    private async Task RunFlowAsync(string script)
    {
        string client = Path.Combine(Repository.Root, "tests", "openwhisk-client");
        Assert.True(Directory.Exists(Path.Combine(client, "node_modules", "serverless-openwhisk")), $"run 'npm ci' in {client} first (test.sh does)");
        await using StandaloneInvoker invoker = await StandaloneInvoker.StartAsync();

        var start = new ProcessStartInfo("node", [Path.Combine(client, script)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["OW_APIHOST"] = invoker.Url, ["OW_AUTH"] = invoker.ApiKey, ["OW_NAMESPACE"] = "guest" },
        };
        using Process node = Process.Start(start)!;
        Task<string> stdout = node.StandardOutput.ReadToEndAsync();
        Task<string> stderr = node.StandardError.ReadToEndAsync();
        // Under test.sh's 5-minute hang timeout; the Serverless flow's longest wait is the every-minute schedule.
        await node.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(4.5));

        output.WriteLine(await stdout);
        Assert.True(node.ExitCode == 0, $"{script} failed:\n{await stderr}\ninvoker:\n{invoker.Output}");
        Assert.Contains("\"ok\":true", await stdout);
        Directory.Delete(invoker.DataDirectory, recursive: true);
    }
}
