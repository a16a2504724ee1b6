using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;
using Perf.Invoker.Tests.Kafka;
using Xunit.Abstractions;

namespace Perf.Invoker.Tests.Serve;

/// <summary>
/// The graceful stop of `invoker serve` (docs/architecture.md §3): on SIGTERM the feed takes no new message, the
/// activations it dispatched finish and are acked, their offsets are committed, the runtimes are removed and the
/// process exits 0; what it had peeked but not dispatched stays uncommitted and runs after the restart, once.
/// A kill -9 in the middle of that drain loses nothing either.
/// </summary>
[Collection(KafkaCollection.Name)]
[Trait("Category", "Kafka")]
public sealed class ServeDrainTests(KafkaMockBrokerFixture broker, ITestOutputHelper output)
{
    private const int Count = 1000;
    private const int ConcurrencyMax = 100;

    /// <summary>Two 256 MB containers of 100 slots: 200 activations in flight at most, the rest waits in the topic.</summary>
    private const int UserMemory = 512;

    [Fact]
    public async Task A_SIGTERM_with_activations_in_flight_finishes_them_commits_removes_its_runtimes_and_exits_0_and_the_rest_run_once_after_the_restart()
    {
        using var run = await DrainRun.StartAsync(broker, "invoker-drain-");
        await run.WaitForStartedAsync(ConcurrencyMax);

        var draining = Stopwatch.StartNew();
        Signal("TERM", run.Invoker);
        Assert.True(run.Invoker.WaitForExit(120_000), "the invoker exited after its drain");
        TimeSpan drain = draining.Elapsed;
        Assert.Equal(0, run.Invoker.ExitCode);
        Assert.Empty(TaggedProcesses(run.OwnerTag));

        // Every activation that started before the stop finished and was acked by the stopping invoker.
        run.Acks.DrainToEnd();
        string[] startedAtStop = run.Executions();
        Assert.Empty(startedAtStop.Except(run.Acks.Ids));
        int ackedAtStop = run.Acks.Distinct;

        run.Restart();
        run.Acks.WaitFor(c => c.Distinct == Count, "every activation completed after the restart");
        run.Stop();

        string[] executions = run.Executions();
        int twice = executions.Length - executions.Distinct().Count();
        output.WriteLine($"runs 1; in flight at SIGTERM: {startedAtStop.Length - run.AckedWhenSignalled}; acked by the draining invoker: {ackedAtStop}; " +
            $"drain {drain.TotalMilliseconds:F0} ms; lost {Count - run.Acks.Distinct}; executed twice {twice}; acks {run.Acks.Total}");
        Assert.Equal(run.Ids.Order(), run.Acks.Ids.Order());
        Assert.Equal(0, twice);
    }

    [Fact]
    public async Task A_kill_9_in_the_middle_of_the_drain_loses_nothing_and_reruns_at_most_what_was_in_flight()
    {
        using var run = await DrainRun.StartAsync(broker, "invoker-drain-kill-");
        await run.WaitForStartedAsync(ConcurrencyMax);

        Signal("TERM", run.Invoker);
        // The drain is under way once the stopping invoker acks an activation it ran; kill it then.
        run.Acks.DrainToEnd();
        int before = run.Acks.Distinct;
        run.Acks.WaitFor(c => c.Distinct > before, "an ack from the draining invoker");
        run.Invoker.Kill();
        run.Invoker.WaitForExit();
        await RuntimeSweep.RemoveOrphansAsync(run.OwnerTag);
        run.Acks.DrainToEnd();
        int inFlightAtKill = run.Executions().Length - run.Acks.Distinct;

        run.Restart();
        run.Acks.WaitFor(c => c.Distinct == Count, "every activation completed after the restart");
        run.Stop();

        string[] executions = run.Executions();
        int twice = executions.Length - executions.Distinct().Count();
        output.WriteLine($"runs 1; in flight at the kill: {inFlightAtKill}; lost {Count - run.Acks.Distinct}; executed twice {twice}; acks {run.Acks.Total}");
        Assert.Equal(run.Ids.Order(), run.Acks.Ids.Order());
        Assert.InRange(twice, 0, inFlightAtKill);
    }

    private static void Signal(string signal, Process process) =>
        Process.Start("kill", ["-" + signal, process.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();

    /// <summary>Live processes whose environment carries <paramref name="ownerTag"/>: the invoker's runtimes.</summary>
    private static List<int> TaggedProcesses(string ownerTag)
    {
        byte[] marker = System.Text.Encoding.ASCII.GetBytes("PERF_INVOKER_OWNER=" + ownerTag + "\0");
        var found = new List<int>();
        foreach (string directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out int pid))
            {
                try
                {
                    if (File.ReadAllBytes(Path.Combine(directory, "environ")).AsSpan().IndexOf(marker) >= 0)
                    {
                        found.Add(pid);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Ended meanwhile, or not ours to read.
                }
            }
        }

        return found;
    }

    /// <summary>A topic of <see cref="Count"/> activations of 0.5 to 3 s, a serve invoker on it, and what each execution wrote.</summary>
    private sealed class DrainRun : IDisposable
    {
        private readonly KafkaMockBrokerFixture _broker;
        private readonly string _prefix;
        private readonly string _data;
        private readonly string _runs;

        private DrainRun(KafkaMockBrokerFixture broker, string prefix, string data, CompletionReader acks, HashSet<string> ids)
        {
            _broker = broker;
            _prefix = prefix;
            _data = data;
            _runs = Path.Combine(data, "runs.log");
            Acks = acks;
            Ids = ids;
            OwnerTag = Perf.Invoker.Containers.OwnerTag.For("wsk0", data);
            Invoker = InvokerProcess.Start(broker, prefix, data, ConcurrencyMax, UserMemory);
        }

        public Process Invoker { get; private set; }

        public CompletionReader Acks { get; }

        public HashSet<string> Ids { get; }

        public string OwnerTag { get; }

        /// <summary>Acks read when <see cref="WaitForStartedAsync"/> returned: a lower bound for those done before the signal.</summary>
        public int AckedWhenSignalled { get; private set; }

        public static async Task<DrainRun> StartAsync(KafkaMockBrokerFixture broker, string name)
        {
            string prefix = broker.NewPrefix();
            string data = Directory.CreateTempSubdirectory(name).FullName;
            string runs = Path.Combine(data, "runs.log");
            using (SqliteDatabase database = SqliteDatabase.Open(Path.Combine(data, "invoker.db")))
            {
                // Each execution appends its id (one small write, atomic for O_APPEND), then takes 0.5 to 3 s, so that
                // the drain is long and its activations end one by one.
                string code = $$"""
                    const fs = require('fs');
                    function main() {
                      fs.appendFileSync({{System.Text.Json.JsonSerializer.Serialize(runs)}}, process.env.__OW_ACTIVATION_ID + '\n');
                      return new Promise(r => setTimeout(() => r({ done: true }), 500 + Math.floor(Math.random() * 2500)));
                    }
                    """;
                await new SqliteActionStore(database).PutAsync("guest", "hello", new ActionSpec
                {
                    Exec = new ActionExec { Kind = "nodejs:20", Code = code },
                    Limits = new ActionLimits { Concurrency = ConcurrencyMax, Timeout = 30_000 },
                }, overwrite: false);
            }

            // One partition: "every activation before the stop's lowest incomplete offset ran" is then exact.
            await broker.CreateTopicAsync(prefix + "invoker0", partitions: 1);
            await broker.CreateTopicAsync(prefix + "completed0", partitions: 1);
            var ids = new HashSet<string>();
            using (var producer = KafkaTestClient.Producer(broker.BootstrapServers))
            {
                for (int i = 0; i < Count; i++)
                {
                    ActivationMessage message = Activations.Message(blocking: false);
                    ids.Add(message.ActivationId.ToString());
                    producer.Produce(prefix + "invoker0", new Message<Null, byte[]> { Value = JsonModel.ToUtf8Bytes(message) });
                }

                producer.Flush(KafkaTestClient.Timeout);
            }

            return new DrainRun(broker, prefix, data, new CompletionReader(broker.BootstrapServers, prefix + "completed0"), ids);
        }

        public string[] Executions() => File.Exists(_runs) ? File.ReadAllLines(_runs) : [];

        /// <summary>Waits until <paramref name="count"/> executions started, all of them still before the signal.</summary>
        public async Task WaitForStartedAsync(int count)
        {
            await Eventually.True(() => Executions().Length >= count, $"{count} activations started", seconds: 120);
            Acks.DrainToEnd();
            AckedWhenSignalled = Acks.Distinct;
        }

        public void Restart() => Invoker = InvokerProcess.Start(_broker, _prefix, _data, ConcurrencyMax, UserMemory);

        public void Stop() => InvokerProcess.Stop(Invoker);

        public void Dispose()
        {
            if (!Invoker.HasExited)
            {
                Invoker.Kill(entireProcessTree: true);
                Invoker.WaitForExit();
            }

            Invoker.Dispose();
            Acks.Dispose();
            try
            {
                Directory.Delete(_data, recursive: true);
            }
            catch (IOException)
            {
                // A runtime of a killed invoker may still hold a file; the temp directory is cleaned by the OS.
            }
        }
    }
}
