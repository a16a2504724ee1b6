using System.Diagnostics;
using Confluent.Kafka;
using Perf.Invoker.Containers;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;
using Perf.Invoker.Tests.Kafka;
using Xunit.Abstractions;

namespace Perf.Invoker.Tests.Serve;

/// <summary>
/// docs/architecture.md §3 invariant 3 under a crash: kill -9 the invoker with activations in flight, restart it,
/// and every activation still gets its completion; only those in flight at the kill may run twice.
/// </summary>
[Collection(KafkaCollection.Name)]
[Trait("Category", "Kafka")]
public sealed class InvokerCrashTests(KafkaMockBrokerFixture broker, ITestOutputHelper output)
{
    [Fact]
    public async Task KillNine_WithActivationsInFlight_LosesNone_AndRerunsAtMostTheInFlight()
    {
        const int Count = 2000;
        const int ConcurrencyMax = 100;
        const int UserMemory = 1024;
        int maxPeek = Perf.Invoker.Feed.PeekWindow.MaxPeek(UserMemory, ConcurrencyMax);
        string prefix = broker.NewPrefix();
        string data = Directory.CreateTempSubdirectory("invoker-crash-").FullName;
        string runs = Path.Combine(data, "runs.log");
        using (SqliteDatabase database = SqliteDatabase.Open(Path.Combine(data, "invoker.db")))
        {
            // Each execution appends its id (one small write, atomic for O_APPEND), then takes 50 ms.
            string code = $$"""
                const fs = require('fs');
                function main() {
                  fs.appendFileSync({{System.Text.Json.JsonSerializer.Serialize(runs)}}, process.env.__OW_ACTIVATION_ID + '\n');
                  return new Promise(r => setTimeout(() => r({ done: true }), 50));
                }
                """;
            await new SqliteActionStore(database).PutAsync("guest", "hello", new ActionSpec
            {
                Exec = new ActionExec { Kind = "nodejs:20", Code = code },
                Limits = new ActionLimits { Concurrency = 100 },
            }, overwrite: false);
        }

        await broker.CreateTopicAsync(prefix + "invoker0");
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

        using var acks = new CompletionReader(broker.BootstrapServers, prefix + "completed0");
        Process first = InvokerProcess.Start(broker, prefix, data, ConcurrencyMax, UserMemory);
        try
        {
            acks.WaitFor(c => c.Distinct >= Count / 4, "a quarter of the activations completed before the kill");
        }
        finally
        {
            first.Kill();   // SIGKILL: no shutdown, no final commit, runtimes orphaned
            first.WaitForExit();
        }

        // The killed invoker's runtimes live on as orphans and may still start a /run they had received. Remove them
        // (the restart's sweep would) before counting, so that "started at the kill" is final.
        await RuntimeSweep.RemoveOrphansAsync(OwnerTag.For("wsk0", data));
        // The invoker is dead: every ack it produced is in the topic now; read them all before counting.
        acks.DrainToEnd();
        int ackedAtKill = acks.Distinct;
        int startedAtKill = File.ReadAllLines(runs).Length;
        Process second = InvokerProcess.Start(broker, prefix, data, ConcurrencyMax, UserMemory);
        try
        {
            acks.WaitFor(c => c.Distinct == Count, "every activation completed after the restart");
        }
        finally
        {
            InvokerProcess.Stop(second);
        }

        string[] executions = File.ReadAllLines(runs);
        int rerun = executions.Length - executions.Distinct().Count();
        int inFlightAtKill = startedAtKill - ackedAtKill;
        output.WriteLine($"lost: {Count - acks.Distinct}; executed twice: {rerun}; in flight at the kill: ~{inFlightAtKill} (window {maxPeek}); acks: {acks.Total}");

        Assert.Equal(ids.Order(), acks.Ids.Order());
        // Only an execution with no stored record at the kill can run again (the others are re-acked from the store),
        // and those were in flight: started, not acked. The credit window bounds them.
        Assert.InRange(rerun, 0, inFlightAtKill);
        Assert.InRange(inFlightAtKill, 0, maxPeek);
        Directory.Delete(data, recursive: true);
    }
}
