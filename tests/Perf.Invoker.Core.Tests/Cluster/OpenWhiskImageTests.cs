using System.Diagnostics;
using System.Text.Json;
using Perf.Invoker.Tests.Containers;
using Perf.Invoker.Tests.CouchDb;
using Perf.Invoker.Tests.Kafka;
using Xunit.Abstractions;

namespace Perf.Invoker.Tests.Cluster;

/// <summary>
/// The invoker's image as OpenWhisk's ansible runs its invoker container (docs/cluster.md): its command line
/// <c>/bin/sh -c "exec /init.sh --id 0 --uniqueName 0"</c>, ansible's environment, the daemon's socket mounted, host
/// networking; its action containers are Docker's. Runs in test.sh's image step, which builds the image and names it in
/// PERF_INVOKER_IMAGE (Category Image: the main test run leaves it out).
/// </summary>
[Collection(KafkaCollection.Name)]
[Trait("Category", "Image")]
public sealed class OpenWhiskImageTests(KafkaMockBrokerFixture broker, CouchDbFixture couch, ITestOutputHelper output) : IClassFixture<CouchDbFixture>
{
    private static readonly SupervisionTimes s_times = new(StateTimeout: TimeSpan.FromSeconds(10), Tick: TimeSpan.FromSeconds(2));

    [Fact]
    public async Task TheImageStartedWithAnsiblesCommandLineAndEnvironment_BecomesHealthy_AndRunsAnActivation()
    {
        string image = Environment.GetEnvironmentVariable("PERF_INVOKER_IMAGE")
            ?? throw new InvalidOperationException("PERF_INVOKER_IMAGE names the invoker image to test (test.sh's image step sets it)");
        await DockerTestImages.EnsureBuiltAsync();
        string prefix = broker.NewPrefix();
        WhiskDatabases databases = await couch.CreateDatabasesAsync();
        await using ControllerStandIn standIn = await ControllerStandIn.StartAsync(broker, prefix, couch, databases, s_times, invokers: 1);
        using var invoker = new AnsibleInvoker(0, broker, prefix, couch, databases, TimeSpan.FromSeconds(1));
        string name = $"perf-invoker-image-test-{Environment.ProcessId}";
        var arguments = new List<string> { "run", "-d", "--name", name, "--network", "host", "-v", "/var/run/docker.sock:/var/run/docker.sock" };
        foreach ((string key, string value) in invoker.Environment)
        {
            // The image's own defaults stand in for the repository's additions: /data, /runtimes/nodejs, Docker containers.
            if (!key.StartsWith("INVOKER_", StringComparison.Ordinal))
            {
                arguments.AddRange(["-e", $"{key}={(key == "RUNTIMES_MANIFEST" ? invoker.Environment[key].Replace("\"tag\":\"latest\"", "\"tag\":\"test\"", StringComparison.Ordinal) : value)}"]);
            }
        }

        // Action containers on the host's network, reached on loopback ports (as the tests' other Docker containers).
        arguments.AddRange(["-e", "CONFIG_whisk_containerFactory_containerArgs_network=host", image, "/bin/sh", "-c", "exec /init.sh --id 0 --uniqueName 0"]);
        await DockerAsync(arguments);
        try
        {
            await Eventually.True(() => standIn.StateOf(0) == InvokerState.Healthy, "the image's invoker Healthy", seconds: 120, pollMilliseconds: 200);
            StoredAction echo = await standIn.PutActionAsync(new WhiskActionSpec("guest", "echo", "function main(p) { return {echo: p.n}; }", Memory: 128));
            string id = standIn.Invoke(echo, payload: """{"n":42}""", blocking: true);
            await Eventually.True(() => standIn.AcksOf(id).Any(a => a.RecordJson is not null), "the activation's blocking ack", seconds: 120);
            using JsonDocument record = JsonDocument.Parse(standIn.AcksOf(id).First(a => a.RecordJson is not null).RecordJson!);
            Assert.Equal(42, record.RootElement.GetProperty("response").GetProperty("result").GetProperty("echo").GetInt32());
            JsonElement? stored = null;
            await Eventually.True(async () => (stored = await standIn.GetRecordAsync("guest", id)) is not null, "its record in CouchDB", seconds: 60);
        }
        finally
        {
            // SIGTERM first: the invoker drains and removes its action containers.
            await DockerAsync(["stop", "-t", "60", name]);
            output.WriteLine(await DockerAsync(["logs", name], check: false));
            await DockerAsync(["rm", "-f", name], check: false);
        }
    }

    private static async Task<string> DockerAsync(IEnumerable<string> arguments, bool check = true)
    {
        var start = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process docker = Process.Start(start)!;
        Task<string> text = docker.StandardOutput.ReadToEndAsync();
        Task<string> errors = docker.StandardError.ReadToEndAsync();
        await docker.WaitForExitAsync();
        if (check && docker.ExitCode != 0)
        {
            throw new InvalidOperationException($"docker {string.Join(' ', start.ArgumentList)} failed ({docker.ExitCode}): {await errors}");
        }

        return await text + await errors;
    }
}
