using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Perf.Invoker.Tests.Standalone;
using Xunit.Abstractions;

namespace Perf.Invoker.Tests.Reliability;

/// <summary>
/// The process rows of the fault matrix for `invoker standalone` (issue 13, docs/reliability.md): SIGTERM with work in
/// flight drains (the running activations finish, the queued ones stay durable and are handed to the next start, the
/// queue is committed, the containers removed) and exits 0 within the longest action time limit; kill -9 during that
/// drain loses nothing either. After a restart every accepted activation has exactly one record.
/// </summary>
[Trait("Category", "Process")]
public sealed class ShutdownFaultMatrixTests(ITestOutputHelper output)
{
    // A peek window of 20 (256 MB, concurrency max 20): 20 run in the one container, the rest wait in the queue.
    private const int ConcurrencyMax = 20;
    private const int UserMemory = 256;
    private const int NonBlocking = 36;
    private const int Blocking = 4;
    private const int ActionTimeoutMillis = 30_000;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task SIGTERM_with_work_in_flight_finishes_it_hands_the_rest_back_removes_the_containers_and_exits_0(int run)
    {
        string data = Directory.CreateTempSubdirectory("invoker-sigterm-").FullName;
        string runs = Path.Combine(data, "runs.log");
        StandaloneInvoker first = await StandaloneInvoker.StartAsync(data, ConcurrencyMax, UserMemory);
        List<string> accepted;
        List<Task<HttpResponseMessage>> blocking;
        Stopwatch fault;
        int exitCode;
        long drainMillis;
        int inFlight;
        try
        {
            (accepted, blocking) = await LoadAsync(first, runs);
            inFlight = File.ReadAllLines(runs).Length;
            fault = Stopwatch.StartNew();
            first.Terminate();
            // The drain is bounded by the activations' time limits; the wait's bound only keeps a hang from hanging the test.
            exitCode = await first.WaitForExitAsync(TimeSpan.FromMilliseconds(ActionTimeoutMillis * 2));
            drainMillis = fault.ElapsedMilliseconds;
        }
        finally
        {
            await first.DisposeAsync();
        }

        Assert.True(exitCode == 0, $"exit code {exitCode}:\n{first.Output}");
        // Drained: nothing left running; every activation that had started has its record, nothing was cut off.
        Assert.Empty(StandaloneData.RuntimeProcesses(data));
        string[] started = File.ReadAllLines(runs);
        List<string> records = StandaloneData.RecordIds(data);
        Assert.Equal(started.Order(), records.Order());
        Assert.Equal(NonBlocking + Blocking - records.Count, StandaloneData.Queued(data));
        await AnswersAsync(blocking, accepted);

        long recover = await RestartAndCompleteAsync(data, accepted, fault);
        FaultLedger ledger = FaultLedger.Count("standalone SIGTERM with work in flight (drain, restart)", inFlight, accepted,
            StandaloneData.RecordIds(data), StandaloneData.RecordIds(data), File.ReadAllLines(runs), recover);
        output.WriteLine($"run {run}: drained and exited 0 in {drainMillis} ms (action time limit {ActionTimeoutMillis} ms)");
        ledger.AssertNothingLost().Report(output);
        Directory.Delete(data, recursive: true);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Kill_nine_during_the_drain_loses_nothing_and_reruns_at_most_what_was_in_flight(int run)
    {
        string data = Directory.CreateTempSubdirectory("invoker-drain-kill-").FullName;
        string runs = Path.Combine(data, "runs.log");
        StandaloneInvoker first = await StandaloneInvoker.StartAsync(data, ConcurrencyMax, UserMemory);
        List<string> accepted;
        List<Task<HttpResponseMessage>> blocking;
        Stopwatch fault;
        int inFlight;
        try
        {
            (accepted, blocking) = await LoadAsync(first, runs);
            inFlight = File.ReadAllLines(runs).Length;
            first.Terminate();
            // The drain has begun once Kestrel stops listening; the activations in flight hold it for a few seconds.
            await Eventually.True(() => !IsListening(first.Url), "the drain has begun", seconds: 30, pollMilliseconds: 20);
            fault = Stopwatch.StartNew();
            first.Kill();
        }
        finally
        {
            await first.DisposeAsync();
        }

        await AnswersAsync(blocking, accepted);
        long recover = await RestartAndCompleteAsync(data, accepted, fault);
        FaultLedger ledger = FaultLedger.Count("standalone kill -9 during the SIGTERM drain (restart)", inFlight, accepted,
            StandaloneData.RecordIds(data), StandaloneData.RecordIds(data), File.ReadAllLines(runs), recover);
        output.WriteLine($"run {run}");
        ledger.AssertNothingLost(mayRunTwice: inFlight).Report(output);
        Directory.Delete(data, recursive: true);
    }

    /// <summary>An action of 3 s, 36 non-blocking and 4 blocking invocations: 20 in flight, the rest queued.</summary>
    private static async Task<(List<string> Accepted, List<Task<HttpResponseMessage>> Blocking)> LoadAsync(StandaloneInvoker invoker, string runs)
    {
        string code = $$"""
            const fs = require('fs');
            function main() {
              fs.appendFileSync({{JsonSerializer.Serialize(runs)}}, process.env.__OW_ACTIVATION_ID + '\n');
              return new Promise(resolve => setTimeout(() => resolve({ done: true }), 3000));
            }
            """;
        using (HttpResponseMessage put = await invoker.Client.PutAsync("_/actions/drain", Json(new
        {
            exec = new { kind = "nodejs:20", code },
            limits = new { concurrency = ConcurrencyMax, memory = UserMemory, timeout = ActionTimeoutMillis },
        })))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        var accepted = new List<string>();
        foreach (HttpResponseMessage response in await Task.WhenAll(Enumerable.Range(0, NonBlocking).Select(_ => invoker.Client.PostAsync("_/actions/drain", Json(new { })))))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            accepted.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("activationId").GetString()!);
            response.Dispose();
        }

        List<Task<HttpResponseMessage>> blocking = [.. Enumerable.Range(0, Blocking).Select(_ => invoker.Client.PostAsync("_/actions/drain?blocking=true", Json(new { })))];
        await Eventually.True(() => StandaloneData.Queued(invoker.DataDirectory) == NonBlocking + Blocking, "the blocking invocations are durable", seconds: 60, pollMilliseconds: 20);
        await Eventually.True(() => File.Exists(runs) && File.ReadAllLines(runs).Length == ConcurrencyMax, "a full window runs", seconds: 60, pollMilliseconds: 20);
        return (accepted, blocking);
    }

    /// <summary>
    /// Each blocking request's one answer (200 with its record, 202 with its id, or a dropped connection at a kill), its id
    /// added to the accepted ones. In standalone mode the record is the acknowledgement: the ledger counts answers by records.
    /// </summary>
    private static async Task AnswersAsync(List<Task<HttpResponseMessage>> blocking, List<string> accepted)
    {
        foreach (Task<HttpResponseMessage> request in blocking)
        {
            try
            {
                using HttpResponseMessage response = await request;
                Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Accepted, $"a blocking caller got {response.StatusCode}");
                string id = response.Headers.GetValues("x-openwhisk-activation-id").Single();
                accepted.Add(id);
            }
            catch (HttpRequestException)
            {
                // kill -9 cut the connection: the caller learns nothing, but the activation was durable and has its record
                // after the restart; its id is found there (it is among the records without a non-blocking 202).
            }
        }
    }

    /// <summary>Restarts on the same data directory and waits until the queue is empty; milliseconds since the fault.</summary>
    private static async Task<long> RestartAndCompleteAsync(string data, List<string> accepted, Stopwatch fault)
    {
        await using StandaloneInvoker second = await StandaloneInvoker.StartAsync(data, ConcurrencyMax, UserMemory);
        await Eventually.True(() => StandaloneData.Queued(data) == 0, "the restarted invoker ran everything handed back", seconds: 120, pollMilliseconds: 50);
        long recover = fault.ElapsedMilliseconds;
        // Blocking activations whose caller was cut off by a kill: accepted all the same (they were durable).
        foreach (string id in StandaloneData.RecordIds(data).Where(id => !accepted.Contains(id)))
        {
            accepted.Add(id);
        }

        Assert.Equal(NonBlocking + Blocking, accepted.Count);
        return recover;
    }

    private static bool IsListening(string url)
    {
        var address = new Uri(url);
        try
        {
            using var client = new System.Net.Sockets.TcpClient();
            client.Connect(address.Host, address.Port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    private static StringContent Json<T>(T value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");
}
