using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;
using Perf.Invoker.Tests.Kafka;

namespace Perf.Invoker.Tests.Serve;

/// <summary>
/// `invoker serve` started exactly as OpenWhisk's ansible starts its invoker (docs/cluster.md, "Starting the invoker the
/// OpenWhisk way"): `--id 0 --uniqueName 0` and the environment, then seen as a controller and an operator see it: the
/// pings, OpenWhisk's admin routes behind Basic auth, the user events, and the one line naming what it does not act on.
/// </summary>
[Collection(KafkaCollection.Name)]
[Trait("Category", "Kafka")]
public sealed partial class OpenWhiskWayTests(KafkaMockBrokerFixture broker)
{
    private const string Manifest = """{"runtimes":{"nodejs":[{"kind":"nodejs:20","default":true,"image":{"prefix":"openwhisk","name":"action-nodejs-v20","tag":"nightly"}}]},"blackboxes":[]}""";

    [Fact]
    public async Task StartedLikeAnsibleStartsIt_ThePingsAdminAndUserEventsAreOpenWhisks()
    {
        string prefix = broker.NewPrefix();
        string data = Directory.CreateTempSubdirectory("invoker-openwhisk-").FullName;
        using (SqliteDatabase database = SqliteDatabase.Open(Path.Combine(data, "invoker.db")))
        {
            await new SqliteActionStore(database).PutAsync("guest", "hello", new ActionSpec
            {
                Exec = new ActionExec { Kind = "nodejs:20", Code = "function main(p) { return {greeting: 'Hello, ' + p.name}; }" },
            }, overwrite: false);
        }

        await broker.CreateTopicAsync(prefix + "invoker0");
        await broker.CreateTopicAsync(prefix + "completed0", partitions: 1);
        await broker.CreateTopicAsync(prefix + "health");
        await broker.CreateTopicAsync(prefix + "events", partitions: 1);
        var lines = new List<string>();
        var admin = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        using Process invoker = Start(data, new Dictionary<string, string>
        {
            ["KAFKA_HOSTS"] = broker.BootstrapServers,
            ["RUNTIMES_MANIFEST"] = Manifest,
            ["CONFIG_whisk_kafka_topics_prefix"] = prefix,
            ["CONFIG_whisk_kafka_topics_userEvent_prefix"] = prefix,
            ["CONFIG_whisk_userEvents_enabled"] = "true",
            ["CONFIG_whisk_containerPool_userMemory"] = "2048m",
            ["CONFIG_whisk_invoker_resource_tags"] = "gpu,fast",
            ["CONFIG_whisk_invoker_username"] = "ops",
            ["CONFIG_whisk_invoker_password"] = "s3cret",
            ["JAVA_OPTS"] = "-Xmx2g",
            ["CONFIG_kamon_statsd_port"] = "8125",
        }, line =>
        {
            lock (lines)
            {
                lines.Add(line);
            }

            if (AdminAddress().Match(line) is { Success: true } match)
            {
                admin.TrySetResult(new Uri(match.Groups[1].Value));
            }
        });
        try
        {
            using var http = new HttpClient { BaseAddress = await admin.Task.WaitAsync(KafkaTestClient.Timeout) };
            using var health = new TopicReader(broker.BootstrapServers, prefix + "health", partitions: 4);
            health.ReadUntil(pings => pings.Count > 0, "a ping");
            PingMessage ping = JsonModel.Read<PingMessage>(health.Messages[0]);
            Assert.Equal(
                """{"instance":0,"uniqueName":"0","userMemory":"2147483648 B","instanceType":"invoker","tags":["gpu","fast"],"dedicatedNamespaces":[]}""",
                JsonModel.ToJsonString(ping.Instance));
            lock (lines)
            {
                Assert.Equal(["invoker0: not acted on: JAVA_OPTS, CONFIG_kamon_statsd_port (kamon.statsd.port)"], lines.Where(l => l.Contains("not acted on", StringComparison.Ordinal)));
            }

            // Basic auth, as DefaultInvokerServer's.
            using (HttpResponseMessage anonymous = await http.GetAsync("/isEnabled"))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
                Assert.Equal("Basic", Assert.Single(anonymous.Headers.WwwAuthenticate).Scheme);
            }

            Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(http, HttpMethod.Get, "/isEnabled", "ops:wrong")).Status);
            Assert.Equal((HttpStatusCode.OK, """{"enabled":true}"""), await SendAsync(http, HttpMethod.Get, "/isEnabled"));
            Assert.Equal((HttpStatusCode.OK, "invoker0/0 is already enabled."), await SendAsync(http, HttpMethod.Post, "/enable"));

            Assert.Equal((HttpStatusCode.OK, "invoker0/0 is now disabled."), await SendAsync(http, HttpMethod.Post, "/disable"));
            health.ReadUntil(pings => pings.Any(p => JsonModel.Read<PingMessage>(p).IsEnabled == false), "the ping saying isEnabled=false");
            Assert.Equal((HttpStatusCode.OK, "invoker0/0 is already disabled."), await SendAsync(http, HttpMethod.Post, "/disable"));
            Assert.Equal((HttpStatusCode.OK, """{"enabled":false}"""), await SendAsync(http, HttpMethod.Get, "/isEnabled"));
            Assert.Equal((HttpStatusCode.OK, "invoker0/0 is now enabled."), await SendAsync(http, HttpMethod.Post, "/enable"));
            int before = health.Messages.Count;
            health.ReadUntil(pings => pings.Skip(before).Any(p => JsonModel.Read<PingMessage>(p).IsEnabled == true), "pings again once enabled");

            // One activation: its ack, and its user event on <prefix>events.
            using IProducer<Null, byte[]> producer = KafkaTestClient.Producer(broker.BootstrapServers);
            ActivationMessage message = Activations.Message("""{"name":"Ada"}""");
            await producer.ProduceAsync(prefix + "invoker0", new Message<Null, byte[]> { Value = JsonModel.ToUtf8Bytes(message) });
            using var events = new TopicReader(broker.BootstrapServers, prefix + "events", partitions: 1);
            events.ReadUntil(m => m.Count == 1, "the activation's user event");
            EventMessage sent = JsonModel.Read<EventMessage>(events.Messages[0]);
            Assert.Equal(("invoker0", "Activation", "guest", message.User.Namespace.Uuid), (sent.Source, sent.EventType, sent.Namespace, sent.UserId));
            Assert.Equal(("guest/hello", message.ActivationId, 0, "nodejs:20", 256), (sent.Body.Name, sent.Body.ActivationId, sent.Body.StatusCode, sent.Body.Kind, sent.Body.Memory));
        }
        finally
        {
            InvokerProcess.Stop(invoker);
            Directory.Delete(data, recursive: true);
        }

        Assert.Equal(0, invoker.ExitCode);
    }

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient http, HttpMethod method, string path, string credentials = "ops:s3cret")
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(credentials)));
        using HttpResponseMessage response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>ansible's command line (`/init.sh --id 0 --uniqueName 0`), with a data directory, the repository's runtime and a loopback address.</summary>
    private static Process Start(string data, Dictionary<string, string> environment, Action<string> output)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        foreach (string argument in new[]
        {
            InvokerProcess.FindInvokerDll(), "serve", "--id", "0", "--uniqueName", "0", "--data", data, "--runtime", Repository.NodeRuntime,
            "--url", "http://127.0.0.1:0", "--containers", "process",
            "--kafka-option", $"session.timeout.ms={KafkaTestClient.SessionTimeoutMs}",
            "--kafka-option", $"heartbeat.interval.ms={KafkaTestClient.HeartbeatIntervalMs}",
        })
        {
            start.ArgumentList.Add(argument);
        }

        Process process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                output(line);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                output(line);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    [GeneratedRegex(@"admin on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex AdminAddress();
}
