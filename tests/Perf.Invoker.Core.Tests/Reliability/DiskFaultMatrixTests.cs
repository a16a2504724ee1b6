using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Perf.Invoker.Tests.Standalone;
using Xunit.Abstractions;

namespace Perf.Invoker.Tests.Reliability;

/// <summary>
/// The disk rows of the fault matrix (issue 13, docs/reliability.md): `invoker standalone` with its data directory on a
/// small tmpfs. A full disk is answered 503 with the reason (and logged); activations accepted before it keep their
/// records, written once the space is back, none half-written; a read-only data directory stops a start with one line,
/// and once writable again the work accepted before runs. Tests run as root; elsewhere they are skipped with the reason.
/// </summary>
[Trait("Category", "Process")]
public sealed class DiskFaultMatrixTests(ITestOutputHelper output)
{
    private const int ConcurrencyMax = 20;
    private const int UserMemory = 256;

    [RootTheory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task A_full_disk_is_answered_503_with_the_reason_and_loses_no_record_once_the_space_is_back(int run)
    {
        using TmpfsDataDirectory disk = TmpfsDataDirectory.Mount(megabytes: 24);
        string scratch = Directory.CreateTempSubdirectory("invoker-disk-").FullName;
        string runs = Path.Combine(scratch, "runs.log");
        string gate = Path.Combine(scratch, "gate");
        StandaloneInvoker invoker = await StandaloneInvoker.StartAsync(disk.Path, ConcurrencyMax, UserMemory);
        try
        {
            await PutHeldActionAsync(invoker, runs, gate);
            List<string> accepted = await InvokeAsync(invoker, 10);
            await Eventually.True(() => File.Exists(runs) && File.ReadAllLines(runs).Length == 10, "ten activations run", seconds: 60, pollMilliseconds: 20);

            disk.Fill();
            // Invocations now find no room for their message (a large one: the WAL's free frames cannot hold it).
            HttpResponseMessage? refused = null;
            for (int attempt = 0; attempt < 50 && refused is null; attempt++)
            {
                HttpResponseMessage response = await invoker.Client.PostAsync("_/actions/disk", Json(new { filler = new string('x', 400_000) }));
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    accepted.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("activationId").GetString()!);
                    response.Dispose();
                }
                else
                {
                    refused = response;
                }
            }

            // The held activations end while the disk is full: their records cannot be written yet.
            File.WriteAllText(gate, "open");
            await Eventually.True(() => invoker.Output.Contains("activation records cannot be written", StringComparison.Ordinal),
                "the invoker says records wait for the disk", seconds: 60, pollMilliseconds: 20);
            var recovery = Stopwatch.StartNew();
            disk.Free();
            await Eventually.True(async () =>
            {
                using HttpResponseMessage probe = await invoker.Client.PostAsync("_/actions/disk?blocking=true&result=true", Json(new { }));
                return probe.StatusCode == HttpStatusCode.OK;
            }, "an invocation succeeds once the space is back", seconds: 60, pollMilliseconds: 100);
            long recover = recovery.ElapsedMilliseconds;
            await Eventually.True(() => StandaloneData.Queued(disk.Path) == 0, "everything accepted ran", seconds: 60, pollMilliseconds: 50);
            List<string> records = StandaloneData.RecordIds(disk.Path);
            // Blocking probes are accepted activations too.
            accepted.AddRange(records.Where(id => !accepted.Contains(id)));
            FaultLedger ledger = FaultLedger.Count("SQLite store: disk full (then space back)", 10, accepted, records, records, File.ReadAllLines(runs), recover);
            output.WriteLine($"run {run}");
            ledger.Report(output).AssertNothingLost();
            await AssertEveryRecordWholeAsync(invoker, disk.Path, accepted);

            Assert.NotNull(refused);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused!.StatusCode);
            string error = (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString()!;
            Assert.Contains("disk is full", error, StringComparison.Ordinal);
            Assert.Contains("disk is full", invoker.Output, StringComparison.Ordinal);
        }
        finally
        {
            await invoker.DisposeAsync();
            Directory.Delete(scratch, recursive: true);
        }

        Assert.Empty(StandaloneData.RuntimeProcesses(disk.Path));
    }

    [RootTheory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task A_read_only_data_directory_stops_a_start_with_one_line_and_the_work_accepted_before_runs_once_writable(int run)
    {
        using TmpfsDataDirectory disk = TmpfsDataDirectory.Mount(megabytes: 24);
        string scratch = Directory.CreateTempSubdirectory("invoker-disk-").FullName;
        string runs = Path.Combine(scratch, "runs.log");
        string gate = Path.Combine(scratch, "gate");
        List<string> accepted;
        StandaloneInvoker first = await StandaloneInvoker.StartAsync(disk.Path, ConcurrencyMax, UserMemory);
        try
        {
            await PutHeldActionAsync(first, runs, gate);
            accepted = await InvokeAsync(first, 30);
            await Eventually.True(() => File.Exists(runs) && File.ReadAllLines(runs).Length == ConcurrencyMax, "a full window runs", seconds: 60, pollMilliseconds: 20);
        }
        finally
        {
            // Killed with work in flight and queued: the files close, so the filesystem can be made read-only.
            first.Kill();
            await first.DisposeAsync();
        }

        await RuntimeSweep.RemoveOrphansAsync(Perf.Invoker.Containers.OwnerTag.For("standalone", disk.Path));
        int inFlight = File.ReadAllLines(runs).Length;
        File.WriteAllText(gate, "open");
        disk.Remount(readOnly: true);
        var fault = Stopwatch.StartNew();
        (int exitCode, string error) = await StartRefusedAsync(disk.Path);
        output.WriteLine($"read-only start: exit {exitCode}: {error}");
        Assert.Equal(2, exitCode);
        Assert.DoesNotContain('\n', error);
        Assert.Contains("read-only", error, StringComparison.Ordinal);

        disk.Remount(readOnly: false);
        await using (StandaloneInvoker second = await StandaloneInvoker.StartAsync(disk.Path, ConcurrencyMax, UserMemory))
        {
            await Eventually.True(() => StandaloneData.Queued(disk.Path) == 0, "the work accepted before runs", seconds: 120, pollMilliseconds: 50);
            long recover = fault.ElapsedMilliseconds;
            List<string> records = StandaloneData.RecordIds(disk.Path);
            FaultLedger ledger = FaultLedger.Count("SQLite store: read-only data directory at start (then writable)", inFlight, accepted, records, records, File.ReadAllLines(runs), recover);
            output.WriteLine($"run {run}");
            ledger.Report(output).AssertNothingLost(mayRunTwice: inFlight);
            await AssertEveryRecordWholeAsync(second, disk.Path, accepted);
        }

        Directory.Delete(scratch, recursive: true);
    }

    /// <summary>Each execution notes its id outside the data directory, then answers once the gate file exists.</summary>
    private static async Task PutHeldActionAsync(StandaloneInvoker invoker, string runs, string gate)
    {
        string code = $$"""
            const fs = require('fs');
            function main() {
              fs.appendFileSync({{JsonSerializer.Serialize(runs)}}, process.env.__OW_ACTIVATION_ID + '\n');
              return new Promise(resolve => {
                const poll = setInterval(() => { if (fs.existsSync({{JsonSerializer.Serialize(gate)}})) { clearInterval(poll); resolve({ done: true }); } }, 10);
              });
            }
            """;
        using HttpResponseMessage put = await invoker.Client.PutAsync("_/actions/disk", Json(new { exec = new { kind = "nodejs:20", code }, limits = new { concurrency = ConcurrencyMax, memory = UserMemory } }));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
    }

    private static async Task<List<string>> InvokeAsync(StandaloneInvoker invoker, int count)
    {
        var accepted = new List<string>();
        foreach (HttpResponseMessage response in await Task.WhenAll(Enumerable.Range(0, count).Select(_ => invoker.Client.PostAsync("_/actions/disk", Json(new { })))))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            accepted.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("activationId").GetString()!);
            response.Dispose();
        }

        return accepted;
    }

    /// <summary>No half-written record: the database is intact and every record reads back whole through the API.</summary>
    private static async Task AssertEveryRecordWholeAsync(StandaloneInvoker invoker, string data, List<string> accepted)
    {
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(data, "invoker.db")};Mode=ReadOnly;Pooling=False"))
        {
            connection.Open();
            using SqliteCommand check = connection.CreateCommand();
            check.CommandText = "PRAGMA integrity_check;";
            Assert.Equal("ok", (string)check.ExecuteScalar()!);
        }

        foreach (string id in accepted)
        {
            JsonNode record = await StandaloneApiTests.FetchActivationAsync(invoker.Client, id);
            Assert.Equal(id, (string?)record["activationId"]);
            Assert.NotNull(record["response"]!["statusCode"]);
        }
    }

    /// <summary>An invoker start that must fail: its exit code and what it wrote on stderr.</summary>
    private static async Task<(int Code, string Error)> StartRefusedAsync(string data)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in (string[])[Perf.Invoker.Tests.Kafka.InvokerProcess.FindInvokerDll(), "standalone", "--data", data, "--runtime", Repository.NodeRuntime, "--url", "http://127.0.0.1:0"])
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        Task<string> standardOutput = process.StandardOutput.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            // It started after all: stop it rather than leave it listening after the test.
            process.Kill(entireProcessTree: true);
            throw;
        }

        await standardOutput;
        return (process.ExitCode, (await error).Trim());
    }

    private static StringContent Json<T>(T value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");
}
