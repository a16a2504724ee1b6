using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Perf.Invoker.Tests.Cluster;
using Perf.Invoker.Tests.CouchDb;
using Perf.Invoker.Tests.Kafka;
using Xunit.Abstractions;

namespace Perf.Invoker.Tests.Reliability;

/// <summary>
/// One row of the cluster fault matrix (docs/reliability.md): a mock Kafka cluster of three brokers of its own, CouchDB
/// (pouchdb-server, or through a <see cref="ClusterFaultProxy"/>), the controller stand-in and one <c>invoker serve</c>
/// started as ansible starts it. Activations go out under the controller's window, mixed blocking and not, while the
/// test applies a fault; afterwards <see cref="FinishAsync"/> checks the invariants of docs/architecture.md §3: every
/// activation acked, one record each in CouchDB, the consumer group committed to the end of every partition, the
/// invoker at rest with no credit in use; and measures what the row reports.
/// </summary>
internal sealed class ClusterFaultRun : IAsyncDisposable
{
    public const int Partitions = 4;

    /// <summary>OpenWhisk's 10 s state timeout, a 2 s probing tick (as OpenWhiskClusterTests).</summary>
    private static readonly SupervisionTimes s_times = new(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2));

    private readonly ITestOutputHelper _output;
    private readonly ConcurrentQueue<string> _sent = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly string _runs;
    private StoredAction _action = null!;
    private Task _sending = Task.CompletedTask;
    private int _inFlightAtFault;
    private int _window;
    private TimeSpan _faultEnd;

    private ClusterFaultRun(KafkaMockBrokerFixture broker, string prefix, ITestOutputHelper output, string runs)
    {
        Broker = broker;
        Prefix = prefix;
        _output = output;
        _runs = runs;
    }

    public KafkaMockBrokerFixture Broker { get; }

    public string Prefix { get; }

    public string Topic => Prefix + "invoker0";

    public ControllerStandIn StandIn { get; private set; } = null!;

    public AnsibleInvoker Invoker { get; private set; } = null!;

    /// <param name="couchServer">Where the invoker finds CouchDB (a <see cref="ClusterFaultProxy"/>); the fixture's own when null.</param>
    public static async Task<ClusterFaultRun> StartAsync(CouchDbFixture couch, ITestOutputHelper output, Func<WhiskDatabases, Uri>? couchServer = null)
    {
        var broker = new KafkaMockBrokerFixture(brokers: 3);
        await broker.InitializeAsync();
        string runs = Path.Combine(Path.GetTempPath(), $"cluster-fault-{Guid.NewGuid():N}.log");
        var run = new ClusterFaultRun(broker, broker.NewPrefix(), output, runs);
        try
        {
            WhiskDatabases databases = await couch.CreateDatabasesAsync();
            run.StandIn = await ControllerStandIn.StartAsync(broker, run.Prefix, couch, databases, s_times, invokers: 1, invokerPartitions: Partitions);
            run.Invoker = new AnsibleInvoker(0, broker, run.Prefix, couch, databases, TimeSpan.FromSeconds(60), couchServer?.Invoke(databases));
            // Each execution appends its activation id (one small O_APPEND write), then takes 20 ms: executions are counted.
            string code = $$"""
                const fs = require('fs');
                function main(p) {
                  fs.appendFileSync({{System.Text.Json.JsonSerializer.Serialize(runs)}}, process.env.__OW_ACTIVATION_ID + '\n');
                  return new Promise(r => setTimeout(() => r({ n: p.n }), 20));
                }
                """;
            run._action = await run.StandIn.PutActionAsync(new WhiskActionSpec("guest", "counted", code, Memory: 128, Concurrency: 20));
            run.Invoker.Start();
            await Eventually.True(() =>
            {
                Assert.True(run.Invoker.IsRunning, "the invoker ended:\n" + run.Invoker.Output);
                return run.StandIn.StateOf(0) == InvokerState.Healthy;
            }, "the invoker Healthy", seconds: 120, pollMilliseconds: 200);
            run.Mark("invoker healthy");
        }
        catch
        {
            await run.DisposeAsync();
            throw;
        }

        return run;
    }

    /// <summary>Sends <paramref name="count"/> activations in the background, at most <paramref name="window"/> unacknowledged, as the controller does.</summary>
    public void Send(int count, int window)
    {
        _window = window;
        _sending = Task.Run(async () =>
        {
            for (int i = 0; i < count;)
            {
                if (StandIn.InFlight >= window)
                {
                    await Task.Delay(10);
                    continue;
                }

                try
                {
                    _sent.Enqueue(StandIn.Invoke(_action, payload: $$"""{"n":{{i}}}""", blocking: i % 2 == 0));
                    i++;
                }
                catch (InvalidOperationException)
                {
                    // No invoker Healthy (the controller's 503): it is Offline through a fault. Try again shortly.
                    await Task.Delay(200);
                }
            }
        });
    }

    /// <summary>Waits until <paramref name="acked"/> activations are acknowledged, before the fault.</summary>
    public async Task AckedAsync(int acked)
    {
        await Eventually.True(() => _sent.Count(id => StandIn.AcksOf(id).Count > 0) >= acked, $"{acked} acked before the fault", seconds: 180, pollMilliseconds: 100);
    }

    /// <summary>Runs the fault: <paramref name="begin"/>, then <paramref name="end"/> after <paramref name="duration"/>.</summary>
    public async Task FaultAsync(string what, Func<Task> begin, TimeSpan duration, Func<Task> end)
    {
        _inFlightAtFault = await CreditsInUseAsync();
        Mark($"{what}: begins with {_inFlightAtFault} in flight");
        await begin();
        await Task.Delay(duration);
        await end();
        _faultEnd = _clock.Elapsed;
        Mark($"{what}: ends");
    }

    /// <summary>Waits for the run to complete and checks every invariant; returns the row's figures.</summary>
    public async Task<FaultRow> FinishAsync(string fault)
    {
        await _sending;
        string[] ids = [.. _sent];
        await Eventually.True(() => ids.All(id => StandIn.AcksOf(id).Count > 0), "an ack for every activation", seconds: 240, pollMilliseconds: 100);
        Mark("all acked");
        HashSet<string> expected = [.. ids.Select(id => "guest/" + id)];
        List<string> documents = [];
        await Eventually.True(async () => (documents = await StandIn.ActivationDocumentIdsAsync()).Count(expected.Contains) == ids.Length,
            "a record for every activation", seconds: 240, pollMilliseconds: 250);
        // Time to recover: from the fault's end until every activation is acknowledged and recorded (acks go out before
        // the store, so a CouchDB fault shows in the records, a Kafka fault in the acks).
        TimeSpan recovered = _clock.Elapsed - _faultEnd;
        Mark("all recorded");
        HashSet<string> health = [.. StandIn.HealthActivationIds.Select(id => "whisk.system/" + id)];
        int extra = documents.Count(d => !expected.Contains(d) && !health.Contains(d));
        int doubled = documents.Count - documents.Distinct().Count();

        await Eventually.True(CommittedToTheEnd, "the group committed to the end of every partition", seconds: 60, pollMilliseconds: 200);
        await Eventually.True(async () => await AtRestAsync(), "the invoker at rest: no credit in use, nothing in flight", seconds: 60, pollMilliseconds: 200);

        string[] executions = File.Exists(_runs) ? await File.ReadAllLinesAsync(_runs) : [];
        var row = new FaultRow(
            fault,
            ids.Length,
            _inFlightAtFault,
            Lost: ids.Count(id => StandIn.AcksOf(id).Count == 0),
            ExecutedTwice: executions.Length - executions.Distinct().Count(),
            AckedTwice: ids.Count(id => StandIn.AcksOf(id).Count > 1),
            RecordsMissing: ids.Length - documents.Count(expected.Contains),
            RecordsDoubled: doubled + extra,
            recovered);
        _output.WriteLine(row.ToString());
        Assert.Equal(0, row.Lost);
        Assert.Equal(0, row.RecordsMissing);
        Assert.Equal(0, row.RecordsDoubled);
        // Only what was in flight can run again (a redelivered activation with a record is acked again, not run), and the
        // controller's window bounds what is in flight.
        Assert.InRange(row.ExecutedTwice, 0, _window);
        Assert.All(ids, id => Assert.DoesNotContain(StandIn.AcksOf(id), a => a.IsSystemError));
        return row;
    }

    public async ValueTask DisposeAsync()
    {
        if (Invoker is not null)
        {
            Invoker.Stop();
            string text = Invoker.Output;
            _output.WriteLine($"--- invoker0 (last 3000 characters) ---\n{text[Math.Max(0, text.Length - 3000)..]}");
            Invoker.Dispose();
        }

        if (StandIn is not null)
        {
            await StandIn.DisposeAsync();
            foreach (string problem in StandIn.Problems)
            {
                _output.WriteLine("stand-in: " + problem);
            }
        }

        await Broker.DisposeAsync();
        File.Delete(_runs);
    }

    private void Mark(string what) => _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{_clock.Elapsed.TotalSeconds,6:F1} s  {what}"));

    /// <summary>The group's committed offset of every partition is its end: nothing left to deliver again.</summary>
    private bool CommittedToTheEnd()
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = Broker.BootstrapServers, GroupId = Topic })
            .SetLogHandler((_, _) => { })
            .Build();
        List<TopicPartition> partitions = [.. Enumerable.Range(0, Partitions).Select(p => new TopicPartition(Topic, p))];
        List<TopicPartitionOffset> committed = consumer.Committed(partitions, KafkaTestClient.Timeout);
        return partitions.All(p => committed.Single(c => c.Partition == p.Partition).Offset.Value
            == consumer.QueryWatermarkOffsets(p, KafkaTestClient.Timeout).High.Value);
    }

    /// <summary>Activations the invoker holds: dispatched and not completed (acked, and their record stored or queued).</summary>
    private async Task<int> CreditsInUseAsync()
    {
        string metrics = await Invoker.Admin.GetStringAsync("/metrics");
        return metrics.Split('\n').Where(l => l.StartsWith("invoker_feed_credits_in_use", StringComparison.Ordinal))
            .Sum(l => int.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }

    private async Task<bool> AtRestAsync()
    {
        string metrics = await Invoker.Admin.GetStringAsync("/metrics");
        return metrics.Split('\n').Where(l => l.StartsWith("invoker_feed_credits_in_use", StringComparison.Ordinal)
                || l.StartsWith("invoker_activations_in_flight", StringComparison.Ordinal))
            .All(l => l.EndsWith(" 0", StringComparison.Ordinal));
    }
}

/// <summary>A row of the fault table: what was measured in one run.</summary>
internal sealed record FaultRow(string Fault, int Activations, int InFlightAtFault, int Lost, int ExecutedTwice, int AckedTwice,
    int RecordsMissing, int RecordsDoubled, TimeSpan Recovered)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"| {Fault} | 1 | {Activations} | {InFlightAtFault} | {Lost} | {ExecutedTwice} (acked twice: {AckedTwice}) | {RecordsMissing} / {RecordsDoubled} | {Recovered.TotalSeconds:F1} s |");
}
