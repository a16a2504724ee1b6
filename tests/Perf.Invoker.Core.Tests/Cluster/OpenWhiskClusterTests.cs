using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Perf.Invoker.Tests.CouchDb;
using Perf.Invoker.Tests.Kafka;
using Xunit.Abstractions;

namespace Perf.Invoker.Tests.Cluster;

/// <summary>
/// The drop-in invoker in an OpenWhisk cluster (docs/cluster.md): three `invoker serve` processes started as ansible
/// starts OpenWhisk's invokers, a real CouchDB (pouchdb-server) holding the actions, records and the blacklist, the
/// mock Kafka broker, and the controller stand-in supervising and routing as OpenWhisk's controller does.
/// </summary>
[Collection(KafkaCollection.Name)]
[Trait("Category", "Kafka")]
public sealed class OpenWhiskClusterTests(KafkaMockBrokerFixture broker, CouchDbFixture couch, ITestOutputHelper output) : IClassFixture<CouchDbFixture>
{
    private const int InvokerCount = 3;

    /// <summary>OpenWhisk's 10 s state timeout; a 2 s probing tick instead of its minute, so a lost probe costs little.</summary>
    private static readonly SupervisionTimes s_times = new(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2));

    [Fact]
    public async Task ThreeInvokersStartedAsAnsibleStartsThem_BecomeHealthy_AndRunActionsInAllFourCodeFormsWithARecordEach()
    {
        await using RunningCluster cluster = await RunningCluster.StartAsync(broker, couch, output);
        List<StoredAction> actions = await cluster.PutActionsAsync();

        var ids = actions.Select(a => (Action: a, Id: cluster.StandIn.Invoke(a, payload: """{"name":"you"}""", blocking: true))).ToList();

        foreach ((StoredAction action, string id) in ids)
        {
            JsonElement result = await ResultAsync(cluster.StandIn, id);
            Assert.Equal(action.Spec.Name, result.GetProperty("action").GetString());
            Assert.Equal("you", result.GetProperty("name").GetString());
        }

        Assert.Equal(
            [CodeForm.PlainString, CodeForm.Inline, CodeForm.CouchAttachment, CodeForm.LegacyAttachment],
            actions.Select(a => a.Form).Distinct().Order());
        JsonElement withParameters = await ResultAsync(cluster.StandIn, ids.Single(i => i.Action.Spec.Parameters.Count > 0).Id);
        Assert.Equal("hello", withParameters.GetProperty("greeting").GetString());
        Assert.Equal("s3cr3t", withParameters.GetProperty("secret").GetString());
        Assert.False(withParameters.GetProperty("secretInParameters").GetBoolean());

        foreach ((StoredAction action, string id) in ids)
        {
            await Eventually.True(async () => await cluster.StandIn.GetRecordAsync("guest", id) is not null, $"the record guest/{id}", seconds: 60, pollMilliseconds: 250);
            JsonElement record = (await cluster.StandIn.GetRecordAsync("guest", id))!.Value;
            Assert.Equal("guest", record.GetProperty("namespace").GetString());
            Assert.Equal(action.Spec.Name, record.GetProperty("name").GetString());
            Assert.Equal(id, record.GetProperty("activationId").GetString());
            Assert.Equal(0, record.GetProperty("response").GetProperty("statusCode").GetInt32());
            Assert.Contains(record.GetProperty("annotations").EnumerateArray(), a => a.GetProperty("key").GetString() == "path" && a.GetProperty("value").GetString() == action.Spec.Id);
        }
    }

    [Fact]
    public async Task ThreeThousandActivationsOfTenActions_HaveExactlyOneRecordAndAnAckEach_ThoughAnInvokerIsKilledMidRunAndRestarted()
    {
        const int Count = 3000;
        // The controller's window: enough to keep every invoker busy, few enough that their pools hold a container per
        // action in flight without evicting each other's (4096 MB, 128 MB each) on a 2-core machine.
        const int Window = 60;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Mark(string what) => output.WriteLine($"{clock.Elapsed.TotalSeconds,6:F1} s  {what} ({DateTimeOffset.UtcNow:HH:mm:ss.fff})");
        await using RunningCluster cluster = await RunningCluster.StartAsync(broker, couch, output);
        Mark("cluster healthy");
        List<StoredAction> actions = await cluster.PutActionsAsync();
        ControllerStandIn standIn = cluster.StandIn;
        var sent = new ConcurrentQueue<string>();
        Task sending = Task.Run(async () =>
        {
            for (int i = 0; i < Count; i++)
            {
                if (standIn.InFlight >= Window)
                {
                    await Eventually.True(() => standIn.InFlight < Window, "the controller's window frees up", seconds: 120);
                }

                sent.Enqueue(standIn.Invoke(actions[i % actions.Count], payload: $$"""{"n":{{i}}}""", blocking: i % 2 == 0));
            }
        });

        await Eventually.True(() => sent.Count(id => standIn.AcksOf(id).Count > 0) >= Count / 3, "a third acked before the kill", seconds: 120, pollMilliseconds: 200);
        Mark("a third acked");
        AnsibleInvoker victim = cluster.Invokers[1];
        int inFlightAtKill = standIn.InFlightOn(1);
        victim.Kill();
        await Eventually.True(() => standIn.StateOf(1) == InvokerState.Offline, "the killed invoker Offline within the state timeout",
            seconds: (int)s_times.StateTimeout.TotalSeconds + 10, pollMilliseconds: 100);
        Mark("victim offline");
        victim.Start();
        await Eventually.True(() => standIn.StateOf(1) == InvokerState.Healthy, "the restarted invoker Healthy again", seconds: 90, pollMilliseconds: 200);
        Mark("victim healthy");
        await sending;
        Mark("all sent");

        string[] ids = [.. sent];
        await Eventually.True(() => ids.All(id => standIn.AcksOf(id).Count > 0), "an ack for every activation", seconds: 120, pollMilliseconds: 500);
        Mark("all acked");
        HashSet<string> expected = [.. ids.Select(id => "guest/" + id)];
        List<string> documents = [];
        await Eventually.True(async () => (documents = await standIn.ActivationDocumentIdsAsync()).Count(expected.Contains) == Count,
            "a record for every activation", seconds: 120, pollMilliseconds: 1000);

        Mark("all recorded");
        // Nothing else: every other document is a health activation's record.
        HashSet<string> health = [.. standIn.HealthActivationIds.Select(id => "whisk.system/" + id)];
        Assert.DoesNotContain(documents, d => !expected.Contains(d) && !health.Contains(d));
        Assert.Equal(documents.Count, documents.Distinct().Count());
        Assert.All(ids, id => Assert.DoesNotContain(standIn.AcksOf(id), a => a.IsSystemError));
        Assert.Contains(standIn.TransitionsOf(1), t => t.State == InvokerState.Offline);

        // Executed twice: a blocking activation whose acks carry records of two different runs (a redelivery whose record
        // was stored is acked again with that record, not run again). At most what the killed invoker had in flight.
        int executedTwice = ids.Count(id => standIn.AcksOf(id).Where(a => a.RecordJson is not null)
            .Select(a => JsonDocument.Parse(a.RecordJson!).RootElement.GetProperty("start").GetInt64()).Distinct().Count() > 1);
        int ackedTwice = ids.Count(id => standIn.AcksOf(id).Count > 1);
        output.WriteLine($"in flight on the killed invoker: {inFlightAtKill}; acked twice: {ackedTwice}; blocking ones executed twice: {executedTwice}");
        output.WriteLine("invoker1: " + string.Join(", ", standIn.TransitionsOf(1).Select(t => $"{t.State} {t.At:HH:mm:ss.fff}")));
        Assert.True(executedTwice <= inFlightAtKill, $"{executedTwice} executed twice, {inFlightAtKill} were in flight at the kill");
        Assert.Empty(standIn.Problems);
    }

    [Fact]
    public async Task DisablingAnInvoker_TakesItOffline_AndEnablingItMakesItHealthyAgain()
    {
        await using RunningCluster cluster = await RunningCluster.StartAsync(broker, couch, output);
        AnsibleInvoker invoker = cluster.Invokers[2];
        using (var anonymous = new HttpClient { BaseAddress = invoker.Admin.BaseAddress })
        {
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/ping")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/disable", content: null)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await invoker.Admin.PostAsync("/disable", content: null)).StatusCode);
        await Eventually.True(() => cluster.StandIn.StateOf(2) == InvokerState.Offline, "Offline after /disable", seconds: 30);
        Assert.False(await IsEnabledAsync(invoker));
        Assert.Equal(InvokerState.Healthy, cluster.StandIn.StateOf(0));

        Assert.Equal(HttpStatusCode.OK, (await invoker.Admin.PostAsync("/enable", content: null)).StatusCode);
        await Eventually.True(() => cluster.StandIn.StateOf(2) == InvokerState.Healthy, "Healthy after /enable", seconds: 60);
        Assert.True(await IsEnabledAsync(invoker));
    }

    [Fact]
    public async Task ABlacklistedNamespace_IsRefusedAsOpenWhiskRefusesIt_WithAnAckAndNoRecord()
    {
        await using RunningCluster cluster = await RunningCluster.StartAsync(broker, couch, output);
        ControllerStandIn standIn = cluster.StandIn;
        var spammer = new WhiskIdentity("spammer", "spammer", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "spamspamspam");
        StoredAction echo = await standIn.PutActionAsync(new WhiskActionSpec("spammer", "echo", "function main(p) { return p; }"));
        StoredAction guest = await standIn.PutActionAsync(new WhiskActionSpec("guest", "echo", "function main(p) { return p; }"));
        string before = standIn.Invoke(echo, spammer, blocking: true);
        Assert.Equal(0, (await AckWithRecordAsync(standIn, before)).GetProperty("response").GetProperty("statusCode").GetInt32());

        await standIn.BlockNamespaceAsync("spammer");

        // The invokers re-read the blacklist on their poll interval: probe until one refuses. A refusal is acked as
        // non-blocking (the ack carries only the id, whatever the call asked) and stores nothing (InvokerReactive).
        var probes = new List<string>();
        string? refused = null;
        await Eventually.True(async () =>
        {
            string probe = standIn.Invoke(echo, spammer, blocking: true);
            probes.Add(probe);
            await Eventually.True(() => standIn.AcksOf(probe).Count > 0, "the probe's ack", seconds: 60);
            WhiskAck ack = standIn.AcksOf(probe)[0];
            if (ack.RecordJson is null)
            {
                Assert.False(ack.IsSystemError);
                refused = probe;
            }

            return refused is not null;
        }, "an activation of the blacklisted namespace refused", seconds: 90, pollMilliseconds: 500);

        // Records are written in batches: once every accepted probe's and a later one's are in, a refused one would be too.
        string after = standIn.Invoke(guest, blocking: true);
        foreach ((string user, string id) in probes.Where(p => p != refused).Select(p => ("spammer", p)).Append(("guest", after)).Append(("spammer", before)))
        {
            await Eventually.True(async () => await standIn.GetRecordAsync(user, id) is not null, $"the record {user}/{id}", seconds: 60, pollMilliseconds: 250);
        }

        Assert.Null(await standIn.GetRecordAsync("spammer", refused!));
        Assert.Single(standIn.AcksOf(refused!));
    }

    private static async Task<bool> IsEnabledAsync(AnsibleInvoker invoker)
    {
        using HttpResponseMessage response = await invoker.Admin.GetAsync("/isEnabled");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("enabled").GetBoolean();
    }

    private static async Task<JsonElement> AckWithRecordAsync(ControllerStandIn standIn, string id)
    {
        await Eventually.True(() => standIn.AcksOf(id).Any(a => a.RecordJson is not null), $"a blocking ack with the record of {id}", seconds: 60);
        using JsonDocument record = JsonDocument.Parse(standIn.AcksOf(id).First(a => a.RecordJson is not null).RecordJson!);
        return record.RootElement.Clone();
    }

    private static async Task<JsonElement> ResultAsync(ControllerStandIn standIn, string id)
    {
        JsonElement record = await AckWithRecordAsync(standIn, id);
        Assert.Equal(0, record.GetProperty("response").GetProperty("statusCode").GetInt32());
        return record.GetProperty("response").GetProperty("result");
    }

    /// <summary>The stand-in, three invokers, and the Kafka prefix and databases no other test uses.</summary>
    private sealed class RunningCluster : IAsyncDisposable
    {
        private readonly ITestOutputHelper _output;

        private RunningCluster(ControllerStandIn standIn, List<AnsibleInvoker> invokers, ITestOutputHelper output)
        {
            StandIn = standIn;
            Invokers = invokers;
            _output = output;
        }

        public ControllerStandIn StandIn { get; }

        public List<AnsibleInvoker> Invokers { get; }

        public static async Task<RunningCluster> StartAsync(KafkaMockBrokerFixture broker, CouchDbFixture couch, ITestOutputHelper output)
        {
            string prefix = broker.NewPrefix();
            WhiskDatabases databases = await couch.CreateDatabasesAsync();
            ControllerStandIn standIn = await ControllerStandIn.StartAsync(broker, prefix, couch, databases, s_times, InvokerCount);
            List<AnsibleInvoker> invokers = [.. Enumerable.Range(0, InvokerCount).Select(i => new AnsibleInvoker(i, broker, prefix, couch, databases, TimeSpan.FromSeconds(1)))];
            var cluster = new RunningCluster(standIn, invokers, output);
            try
            {
                invokers.ForEach(i => i.Start());
                await Eventually.True(() =>
                {
                    // An invoker that ended will not become Healthy: fail now, with what it said.
                    Assert.All(invokers, i => Assert.True(i.IsRunning, $"invoker{i.Id} ended:\n{i.Output}"));
                    return Enumerable.Range(0, InvokerCount).All(i => standIn.StateOf(i) == InvokerState.Healthy);
                }, "all three invokers Healthy", seconds: 90, pollMilliseconds: 200);
            }
            catch
            {
                await cluster.DisposeAsync();
                throw;
            }

            return cluster;
        }

        /// <summary>
        /// Ten actions: each code form with concurrency 1 and with more, one in a package, one with a default parameter
        /// and an init parameter. Each returns its name and what it was given.
        /// </summary>
        public async Task<List<StoredAction>> PutActionsAsync()
        {
            const string Body = "return { action: NAME, name: p.name, n: p.n, greeting: p.greeting, secret: process.env.secret || null, secretInParameters: p.secret !== undefined };";
            string Code(string name, bool large = false) =>
                $"function main(p) {{ {Body.Replace("NAME", $"'{name}'", StringComparison.Ordinal)} }}" + (large ? "\n//" + new string('x', WhiskActionDocuments.MaxInlineSize) : "");
            WhiskActionSpec[] specs =
            [
                new("guest", "string", Code("string"), Memory: 128) { Attached = false },
                new("guest", "string-concurrent", Code("string-concurrent"), Memory: 128, Concurrency: 50) { Attached = false },
                new("guest", "inline", Code("inline"), Memory: 128),
                new("guest", "inline-concurrent", Code("inline-concurrent"), Memory: 128, Concurrency: 50),
                new("guest", "couch", Code("couch", large: true), Memory: 128),
                new("guest", "couch-concurrent", Code("couch-concurrent", large: true), Memory: 128, Concurrency: 50),
                new("guest", "legacy", Code("legacy"), Memory: 128) { Legacy = true },
                new("guest", "legacy-concurrent", Code("legacy-concurrent"), Memory: 128, Concurrency: 50) { Legacy = true },
                new("guest/pkg", "packaged", Code("packaged"), Memory: 128, Concurrency: 20),
                new("guest", "parameters", Code("parameters"), Memory: 128)
                {
                    Parameters = [new ActionParameter("greeting", "\"hello\""), new ActionParameter("name", "\"nobody\""), new ActionParameter("secret", "\"s3cr3t\"", Init: true)],
                },
            ];
            var stored = new List<StoredAction>();
            foreach (WhiskActionSpec spec in specs)
            {
                stored.Add(await StandIn.PutActionAsync(spec));
            }

            return stored;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (AnsibleInvoker invoker in Invokers)
            {
                if (invoker.IsRunning)
                {
                    // What a slow run was waiting on: cold starts, waits, the cache and the batches.
                    string metrics = await invoker.Admin.GetStringAsync("/metrics");
                    _output.WriteLine($"--- invoker{invoker.Id} /metrics ---\n" + string.Join('\n', metrics.Split('\n')
                        .Where(l => l.StartsWith("invoker_activation_init_seconds_count", StringComparison.Ordinal) || l.StartsWith("invoker_activation_wait_seconds_sum", StringComparison.Ordinal)
                            || l.StartsWith("invoker_activation_wait_seconds_count", StringComparison.Ordinal) || l.StartsWith("invoker_activations_total", StringComparison.Ordinal)
                            || l.StartsWith("invoker_action_cache", StringComparison.Ordinal) || l.StartsWith("invoker_couchdb", StringComparison.Ordinal)
                            || l.StartsWith("invoker_containers", StringComparison.Ordinal) || l.StartsWith("invoker_memory", StringComparison.Ordinal))));
                }

                invoker.Stop();
                string text = invoker.Output;
                _output.WriteLine($"--- invoker{invoker.Id} (last 4000 characters) ---\n{text[Math.Max(0, text.Length - 4000)..]}");
                invoker.Dispose();
            }

            await StandIn.DisposeAsync();
            foreach (string problem in StandIn.Problems)
            {
                _output.WriteLine("stand-in: " + problem);
            }
        }
    }
}
