using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Perf.Invoker.Containers;
using Perf.Invoker.Feed;
using Xunit.Abstractions;

namespace Perf.Invoker.Tests.Standalone;

/// <summary>
/// The durable embedded feed's contract under a crash (issue 5 part 5): an activation the API accepted is in
/// the SQLite queue, so after kill -9 and a restart every one of them gets its record; only those in flight
/// at the kill may run twice, and those are bounded by the peek window.
/// </summary>
[Trait("Category", "Process")]
public sealed class StandaloneCrashTests(ITestOutputHelper output)
{
    [Fact]
    public async Task KillNine_with_accepted_activations_in_flight_loses_none_and_reruns_at_most_the_in_flight()
    {
        const int Count = 2000;
        const int ConcurrencyMax = 100;
        const int UserMemory = 1024;
        int maxPeek = PeekWindow.MaxPeek(UserMemory, ConcurrencyMax);
        string data = Directory.CreateTempSubdirectory("invoker-standalone-crash-").FullName;
        string runs = Path.Combine(data, "runs.log");
        string gate = Path.Combine(data, "gate");

        // Each execution appends its id (one small O_APPEND write), waits for the gate file, then takes 50 ms.
        // The gate holds the first wave until all 2,000 are accepted, so the kill lands with work queued and in flight.
        string code = $$"""
            const fs = require('fs');
            function main() {
              fs.appendFileSync({{JsonSerializer.Serialize(runs)}}, process.env.__OW_ACTIVATION_ID + '\n');
              return new Promise(resolve => {
                const poll = setInterval(() => {
                  if (fs.existsSync({{JsonSerializer.Serialize(gate)}})) { clearInterval(poll); setTimeout(() => resolve({ done: true }), 50); }
                }, 5);
              });
            }
            """;

        var accepted = new List<string>(Count);
        StandaloneInvoker first = await StandaloneInvoker.StartAsync(data, ConcurrencyMax, UserMemory);
        int recordsAtKill;
        int startedAtKill;
        try
        {
            using (HttpResponseMessage put = await first.Client.PutAsync("_/actions/crash", JsonBody(new { exec = new { kind = "nodejs:20", code }, limits = new { concurrency = 100 } })))
            {
                Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            }

            // 2,000 non-blocking invokes, 50 at a time; each 202 means "committed to the queue".
            for (int batch = 0; batch < Count / 50; batch++)
            {
                HttpResponseMessage[] responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => first.Client.PostAsync("_/actions/crash", JsonBody(new { }))));
                foreach (HttpResponseMessage response in responses)
                {
                    Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                    accepted.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("activationId").GetString()!);
                    response.Dispose();
                }
            }

            File.WriteAllText(gate, "open");
            await Eventually.True(() => RecordIds(data).Count >= Count / 4, "a quarter of the activations completed before the kill", seconds: 180, pollMilliseconds: 100);
        }
        finally
        {
            first.Kill();
        }

        // The killed invoker's runtimes live on as orphans and may still start a /run they had received. Remove them
        // (the restart's sweep would) before counting, so that "started at the kill" is final.
        await RuntimeSweep.RemoveOrphansAsync(OwnerTag.For("standalone", data));
        recordsAtKill = RecordIds(data).Count;
        startedAtKill = File.ReadAllLines(runs).Length;
        await using (StandaloneInvoker second = await StandaloneInvoker.StartAsync(data, ConcurrencyMax, UserMemory))
        {
            await Eventually.True(() => RecordIds(data).Count >= Count, "every accepted activation has a record after the restart", seconds: 180, pollMilliseconds: 100);
        }

        HashSet<string> records = RecordIds(data);
        string[] executions = File.ReadAllLines(runs);
        int rerun = executions.Length - executions.Distinct().Count();
        output.WriteLine($"accepted: {accepted.Count}; lost: {accepted.Count(id => !records.Contains(id))}; executed twice: {rerun}; " +
            $"in flight at the kill: ~{startedAtKill - recordsAtKill} (window {maxPeek}); records at the kill: {recordsAtKill}");

        Assert.Equal(accepted.Order(), records.Order());
        // Only an execution without a stored record at the kill can run again, i.e. one in flight; the window bounds those.
        Assert.InRange(rerun, 0, startedAtKill - recordsAtKill);
        Assert.InRange(startedAtKill - recordsAtKill, 0, maxPeek);
        Directory.Delete(data, recursive: true);
    }

    /// <summary>Activation ids with a stored record, read beside the running invoker (WAL lets a reader in).</summary>
    private static HashSet<string> RecordIds(string data)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(data, "invoker.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using SqliteCommand select = connection.CreateCommand();
        select.CommandText = "SELECT id FROM activations;";
        var ids = new HashSet<string>();
        using SqliteDataReader reader = select.ExecuteReader();
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }


    private static StringContent JsonBody<T>(T value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");
}
