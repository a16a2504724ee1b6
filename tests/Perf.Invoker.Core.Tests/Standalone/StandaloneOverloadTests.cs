using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Perf.Invoker.Tests.Standalone;

/// <summary>
/// Overload past the limits of docs/standalone.md ("Limits"), on the real invoker: a namespace past its limits gets
/// OpenWhisk's 429, the others are served; a full queue answers 503. Counts are checked, never times: the flooding
/// namespace's activations wait on a gate file the test opens at the end, so what is in flight is fixed by the test.
/// </summary>
[Trait("Category", "Process")]
public sealed partial class StandaloneOverloadTests
{
    private const string GuestKey = "0f3a3c2e-0000-4000-8000-00000000900e:guest-secret-key";
    private const string FloodKey = "0f3a3c2e-0000-4000-8000-0000000f100d:flood-secret-key";

    /// <summary>Holds its activation until the file <c>p.gate</c> exists.</summary>
    private const string GatedCode = """
        function main(p) {
          const fs = require('fs');
          return new Promise(resolve => {
            const poll = setInterval(() => { if (fs.existsSync(p.gate)) { clearInterval(poll); resolve({ released: true }); } }, 20);
          });
        }
        """;

    [Fact]
    public async Task A_namespace_flooding_at_ten_times_its_share_gets_429_past_its_limit_while_the_other_namespace_s_requests_all_succeed()
    {
        const int Limit = 4;
        await using Overloaded run = await Overloaded.StartAsync("--concurrent-invocations", $"{Limit}", "--invocations-per-minute", "1000000");
        using HttpClient flood = StandaloneInvoker.ClientFor(run.Invoker.Url, FloodKey);
        await PutAsync(flood, "gated", GatedCode);
        await PutAsync(run.Invoker.Client, "echo", "function main(p) { return { n: p.n }; }");

        // The flood: 10 requests per slot of its limit, all at once, then more until the other namespace is done.
        var floodAnswers = new List<(HttpStatusCode Status, string Body)>();
        using var guestDone = new CancellationTokenSource();
        Task flooding = Task.Run(async () =>
        {
            do
            {
                HttpResponseMessage[] wave = await Task.WhenAll(Enumerable.Range(0, 10 * Limit).Select(_ => flood.PostAsync("_/actions/gated", Json(new { gate = run.Gate }))));
                foreach (HttpResponseMessage answer in wave)
                {
                    floodAnswers.Add((answer.StatusCode, await answer.Content.ReadAsStringAsync()));
                    answer.Dispose();
                }
            }
            while (!guestDone.IsCancellationRequested);
        });

        // The well-behaved namespace: its share, 4 callers in a closed loop of blocking invokes, 10 each.
        HttpStatusCode[][] guestAnswers = await Task.WhenAll(Enumerable.Range(0, Limit).Select(caller => Task.Run(async () =>
        {
            var statuses = new HttpStatusCode[10];
            for (int i = 0; i < statuses.Length; i++)
            {
                using HttpResponseMessage answer = await run.Invoker.Client.PostAsync("_/actions/echo?blocking=true&result=true", Json(new { n = i }));
                statuses[i] = answer.StatusCode;
                Assert.True(answer.StatusCode == HttpStatusCode.OK, $"guest caller {caller}, request {i}: {answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
            }

            return statuses;
        })));
        await guestDone.CancelAsync();
        await flooding;

        Assert.All(guestAnswers.SelectMany(s => s), status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(Limit, floodAnswers.Count(a => a.Status == HttpStatusCode.Accepted));
        Assert.All(floodAnswers.Where(a => a.Status != HttpStatusCode.Accepted), a =>
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, a.Status);
            using JsonDocument body = JsonDocument.Parse(a.Body);
            Assert.Equal($"Too many concurrent requests in flight (count: {Limit}, allowed: {Limit}).", body.RootElement.GetProperty("error").GetString());
            Assert.False(string.IsNullOrEmpty(body.RootElement.GetProperty("code").GetString()));
        });
        int refused = floodAnswers.Count - Limit;
        Assert.True(refused >= 9 * Limit, $"the flood was refused {refused} times");
        Assert.Contains($"invoker_throttled_total{{reason=\"concurrent\"}} {refused}\n", await run.MetricsAsync(), StringComparison.Ordinal);

        // Once its activations complete, the namespace has its slots back.
        File.WriteAllText(run.Gate, "open");
        await Eventually.True(async () => (await run.MetricsAsync()).Contains("invoker_api_in_flight 0\n", StringComparison.Ordinal), "the flood's activations completed", seconds: 120, pollMilliseconds: 100);
        using HttpResponseMessage after = await flood.PostAsync("_/actions/gated?blocking=true&result=true", Json(new { gate = run.Gate }));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task Past_its_invocations_per_minute_a_namespace_gets_429_with_the_minute_s_count()
    {
        await using Overloaded run = await Overloaded.StartAsync("--invocations-per-minute", "5");
        await PutAsync(run.Invoker.Client, "echo", "function main(p) { return p; }");

        // 11 in a row: however the clock's minute falls, one minute sees at least 6 of them.
        var answers = new List<(HttpStatusCode Status, string Body)>();
        for (int i = 0; i < 11; i++)
        {
            using HttpResponseMessage answer = await run.Invoker.Client.PostAsync("_/actions/echo", Json(new { i }));
            answers.Add((answer.StatusCode, await answer.Content.ReadAsStringAsync()));
        }

        Assert.All(answers, a => Assert.Contains(a.Status, new[] { HttpStatusCode.Accepted, HttpStatusCode.TooManyRequests }));
        string firstRefusal = answers.First(a => a.Status == HttpStatusCode.TooManyRequests).Body;
        Match match = RateRefusal().Match(JsonDocument.Parse(firstRefusal).RootElement.GetProperty("error").GetString()!);
        Assert.True(match.Success, firstRefusal);
        Assert.Equal("6", match.Groups[1].Value);
        Assert.InRange(answers.Count(a => a.Status == HttpStatusCode.Accepted), 5, 10);
    }

    [Fact]
    public async Task A_full_queue_answers_503_with_OpenWhisk_s_overload_message_and_takes_work_again_once_it_drains()
    {
        await using Overloaded run = await Overloaded.StartAsync("--queue-max", "3");
        await PutAsync(run.Invoker.Client, "gated", GatedCode);
        for (int i = 0; i < 3; i++)
        {
            using HttpResponseMessage queued = await run.Invoker.Client.PostAsync("_/actions/gated", Json(new { gate = run.Gate }));
            Assert.Equal(HttpStatusCode.Accepted, queued.StatusCode);
        }

        using HttpResponseMessage full = await run.Invoker.Client.PostAsync("_/actions/gated", Json(new { gate = run.Gate }));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, full.StatusCode);
        Assert.Equal("System is overloaded, try again later.", (await full.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        Assert.Contains("invoker_queue_messages 3\n", await run.MetricsAsync(), StringComparison.Ordinal);
        Assert.Contains("the activation queue holds its capacity of 3", run.Invoker.Output, StringComparison.Ordinal);

        File.WriteAllText(run.Gate, "open");
        await Eventually.True(async () => (await run.MetricsAsync()).Contains("invoker_queue_messages 0\n", StringComparison.Ordinal), "the queue drained", seconds: 120, pollMilliseconds: 100);
        using HttpResponseMessage again = await run.Invoker.Client.PostAsync("_/actions/gated", Json(new { gate = run.Gate }));
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
    }

    [Fact]
    public async Task The_limits_are_checked_before_the_action_is_read_and_a_namespace_s_own_line_in_the_limits_file_overrides_the_deployment_s()
    {
        await using Overloaded run = await Overloaded.StartWithLimitsAsync("flood concurrentInvocations=2\n", "--concurrent-invocations", "0");
        using HttpClient flood = StandaloneInvoker.ClientFor(run.Invoker.Url, FloodKey);

        using HttpResponseMessage guest = await run.Invoker.Client.PostAsync("_/actions/missing", Json(new { }));
        Assert.Equal(HttpStatusCode.TooManyRequests, guest.StatusCode);
        Assert.Equal("Too many concurrent requests in flight (count: 0, allowed: 0).", (await guest.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());

        // Admitted by its own limit, then not found: the slot goes back each time, so all five are 404s.
        for (int i = 0; i < 5; i++)
        {
            using HttpResponseMessage missing = await flood.PostAsync("_/actions/missing", Json(new { }));
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }
    }

    [GeneratedRegex(@"\AToo many requests in the last minute \(count: (\d+), allowed: 5\)\.\z")]
    private static partial Regex RateRefusal();

    private static async Task PutAsync(HttpClient client, string name, string code)
    {
        using HttpResponseMessage put = await client.PutAsync(
            $"_/actions/{name}",
            Json(new { exec = new { kind = "nodejs:20", code }, limits = new { concurrency = 100, memory = 128, timeout = 300_000 } }));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
    }

    private static StringContent Json<T>(T value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");

    /// <summary>An invoker with the namespaces guest and flood and the settings of a test, and the gate its gated actions wait on.</summary>
    private sealed class Overloaded : IAsyncDisposable
    {
        private Overloaded(StandaloneInvoker invoker, string data)
        {
            Invoker = invoker;
            Gate = Path.Combine(data, "gate");
        }

        public StandaloneInvoker Invoker { get; }

        public string Gate { get; }

        public static Task<Overloaded> StartAsync(params string[] settings) => StartWithLimitsAsync(null, settings);

        /// <param name="limits">The file DATA/limits, none when null.</param>
        public static async Task<Overloaded> StartWithLimitsAsync(string? limits, params string[] settings)
        {
            string data = Directory.CreateTempSubdirectory("invoker-overload-").FullName;
            File.WriteAllText(Path.Combine(data, "namespaces"), $"guest {GuestKey}\nflood {FloodKey}\n");
            if (limits is not null)
            {
                File.WriteAllText(Path.Combine(data, "limits"), limits);
            }

            return new Overloaded(await StandaloneInvoker.StartAsync(data, settings: settings), data);
        }

        public async Task<string> MetricsAsync()
        {
            using var admin = new HttpClient { BaseAddress = new Uri(Invoker.Url) };
            return await admin.GetStringAsync("/metrics");
        }

        public async ValueTask DisposeAsync()
        {
            // Whatever still waits is released, so that the graceful stop finishes it.
            File.WriteAllText(Gate, "open");
            await Invoker.DisposeAsync();
            Directory.Delete(Invoker.DataDirectory, recursive: true);
        }
    }
}
