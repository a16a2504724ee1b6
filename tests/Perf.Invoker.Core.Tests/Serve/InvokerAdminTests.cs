using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;
using Perf.Invoker.Tests.Exposition;
using Perf.Invoker.Tests.Kafka;

namespace Perf.Invoker.Tests.Serve;

/// <summary>
/// The admin surface of `invoker serve` as an operator uses it: GET /metrics after real activations, and POST
/// /invoker/disable|enable seen by controllers through the health pings and by the feed taking (or not) new work.
/// </summary>
[Collection(KafkaCollection.Name)]
[Trait("Category", "Kafka")]
public sealed partial class InvokerAdminTests(KafkaMockBrokerFixture broker)
{
    private const string Success = """invoker_activations_total{status="success"}""";

    [Fact]
    public async Task Serve_MetricsCountTheActivations_DisableStopsNewWorkAndPingsSaySo_EnableResumes()
    {
        string prefix = broker.NewPrefix();
        string data = Directory.CreateTempSubdirectory("invoker-admin-").FullName;
        using (SqliteDatabase database = SqliteDatabase.Open(Path.Combine(data, "invoker.db")))
        {
            await new SqliteActionStore(database).PutAsync("guest", "hello", new ActionSpec
            {
                Exec = new ActionExec { Kind = "nodejs:20", Code = "function main(p) { return {greeting: 'Hello, ' + p.name}; }" },
                Limits = new ActionLimits { Concurrency = 10 },
            }, overwrite: false);
        }

        await broker.CreateTopicAsync(prefix + "invoker0");
        await broker.CreateTopicAsync(prefix + "completed0", partitions: 1);
        await broker.CreateTopicAsync(prefix + "health");
        var admin = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        using Process invoker = InvokerProcess.Start(broker, prefix, data, output: line =>
        {
            if (AdminAddress().Match(line) is { Success: true } match)
            {
                admin.TrySetResult(new Uri(match.Groups[1].Value));
            }
        });
        try
        {
            using var http = new HttpClient { BaseAddress = await admin.Task.WaitAsync(KafkaTestClient.Timeout) };
            using var acks = new TopicReader(broker.BootstrapServers, prefix + "completed0", partitions: 1);
            using var health = new TopicReader(broker.BootstrapServers, prefix + "health", partitions: 4);
            using var producer = KafkaTestClient.Producer(broker.BootstrapServers);

            await ProduceAsync(producer, prefix, 5);
            acks.ReadUntil(m => m.Count == 5, "five acks");
            Dictionary<string, double> afterRun = await ScrapeAsync(http);
            Assert.Equal(5, afterRun[Success]);
            Assert.Equal(1, afterRun["invoker_enabled"]);
            Assert.Equal(1024L << 20, afterRun["invoker_memory_capacity_bytes"]);
            Assert.Equal(Perf.Invoker.Feed.PeekWindow.MaxPeek(1024, 500), afterRun["invoker_feed_max_peek"]);

            Assert.Equal("""{"enabled":false}""", await PostAsync(http, "/invoker/disable"));
            health.ReadUntil(pings => pings.Any(p => IsEnabled(p) == false), "a ping saying isEnabled=false");
            await ProduceAsync(producer, prefix, 3);
            using (var invokerTopic = new TopicReader(broker.BootstrapServers, prefix + "invoker0", partitions: 4))
            {
                invokerTopic.ReadUntil(m => m.Count == 8, "the three new activations in invoker0");
            }

            // A disabled invoker pings no more (docs/cluster.md); OpenWhisk's POST /disable pings isEnabled=false on every
            // call, so three of them, each a round trip through the invoker and Kafka, give it time to (wrongly) take the work.
            int disabledPings = health.Messages.Count(p => IsEnabled(p) == false);
            for (int i = 0; i < 3; i++)
            {
                using var disable = new HttpRequestMessage(HttpMethod.Post, "/disable");
                disable.Headers.Authorization = new("Basic", Convert.ToBase64String("invoker.user:invoker.pass"u8.ToArray()));
                using HttpResponseMessage response = await http.SendAsync(disable);
                Assert.Equal("invoker0/invoker0/invoker0 is already disabled.", await response.Content.ReadAsStringAsync());
                health.ReadUntil(pings => pings.Count(p => IsEnabled(p) == false) >= disabledPings + i + 1, "a disabled ping per POST /disable");
            }

            Dictionary<string, double> whileDisabled = await ScrapeAsync(http);
            Assert.Equal(5, whileDisabled[Success]);
            Assert.Equal(0, whileDisabled["invoker_feed_credits_in_use"]);
            Assert.Equal(0, whileDisabled["invoker_enabled"]);

            Assert.Equal("""{"enabled":true}""", await PostAsync(http, "/invoker/enable"));
            acks.ReadUntil(m => m.Count == 8, "the three held activations acked once enabled");
            Dictionary<string, double> afterEnable = await ScrapeAsync(http);
            Assert.Equal(8, afterEnable[Success]);
            Assert.Equal(1, afterEnable["invoker_enabled"]);
            Assert.Equal(8, afterEnable["invoker_activation_wait_seconds_count"]);
            Assert.Equal(8, afterEnable["invoker_activation_run_seconds_count"]);
            Assert.All(acks.Messages, m => Assert.Equal((int)ActivationStatus.Success, JsonModel.Read<CombinedCompletionAndResultMessage>(m).Response.Record!.Response.StatusCode));
        }
        finally
        {
            InvokerProcess.Stop(invoker);
            Directory.Delete(data, recursive: true);
        }

        Assert.Equal(0, invoker.ExitCode);
    }

    private static bool? IsEnabled(byte[] ping) => JsonModel.Read<PingMessage>(ping).IsEnabled;

    private static async Task ProduceAsync(IProducer<Null, byte[]> producer, string prefix, int count)
    {
        for (int i = 0; i < count; i++)
        {
            await producer.ProduceAsync(prefix + "invoker0", new Message<Null, byte[]> { Value = JsonModel.ToUtf8Bytes(Activations.Message($$"""{"name":"n{{i}}"}""")) });
        }
    }

    private static async Task<Dictionary<string, double>> ScrapeAsync(HttpClient http)
    {
        using HttpResponseMessage response = await http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }

    private static async Task<string> PostAsync(HttpClient http, string path)
    {
        using HttpResponseMessage response = await http.PostAsync(path, content: null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        return await response.Content.ReadAsStringAsync();
    }

    [GeneratedRegex(@"admin on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex AdminAddress();
}
