using System.Diagnostics;
using Confluent.Kafka;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;
using Perf.Invoker.Tests.Kafka;

namespace Perf.Invoker.Tests.Serve;

/// <summary>`invoker serve` as a process, driven over the mock broker the way an OpenWhisk controller drives it.</summary>
[Collection(KafkaCollection.Name)]
[Trait("Category", "Kafka")]
public sealed class InvokerServeTests(KafkaMockBrokerFixture broker)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Serve_RunsActivationsFromInvokerN_AndAcksEachOnCompletedC(bool concurrentTopic)
    {
        const int Count = 20;
        string prefix = broker.NewPrefix();
        string data = Directory.CreateTempSubdirectory("invoker-serve-").FullName;
        using (SqliteDatabase database = SqliteDatabase.Open(Path.Combine(data, "invoker.db")))
        {
            await new SqliteActionStore(database).PutAsync("guest", "hello", new ActionSpec
            {
                Exec = new ActionExec { Kind = "nodejs:20", Code = "function main(p) { return {greeting: 'Hello, ' + p.name}; }" },
                Limits = new ActionLimits { Concurrency = 10 },
            }, overwrite: false);
        }

        // With --concurrent-topic, every other activation goes to invoker0concurrent: both topics are consumed.
        string[] topics = concurrentTopic ? [prefix + "invoker0", prefix + "invoker0concurrent"] : [prefix + "invoker0"];
        foreach (string topic in topics)
        {
            await broker.CreateTopicAsync(topic);
        }

        await broker.CreateTopicAsync(prefix + "completed0", partitions: 1);
        using Process invoker = InvokerProcess.Start(broker, prefix, data, concurrentTopic: concurrentTopic);
        try
        {
            var ids = new List<ActivationId>();
            using (var producer = KafkaTestClient.Producer(broker.BootstrapServers))
            {
                for (int i = 0; i < Count; i++)
                {
                    ActivationMessage message = Activations.Message($$"""{"name":"n{{i}}"}""");
                    ids.Add(message.ActivationId);
                    await producer.ProduceAsync(topics[i % topics.Length], new Message<Null, byte[]> { Value = JsonModel.ToUtf8Bytes(message) });
                }
            }

            var acks = KafkaTestClient.ReadAll(broker.BootstrapServers, prefix + "completed0", Count, partitions: 1)
                .Select(r => JsonModel.Read<CombinedCompletionAndResultMessage>(r.Message.Value))
                .ToList();

            Assert.Equal(ids.Select(i => i.ToString()).Order(), acks.Select(a => a.Response.ActivationId.ToString()).Order());
            Assert.All(acks, a =>
            {
                Assert.Equal((int)ActivationStatus.Success, a.Response.Record!.Response.StatusCode);
                Assert.StartsWith("""{"greeting":"Hello, n""", a.Response.Record.Response.Result.ToString());
                Assert.False(a.IsSystemError);
            });
        }
        finally
        {
            InvokerProcess.Stop(invoker);

            Directory.Delete(data, recursive: true);
        }

        Assert.Equal(0, invoker.ExitCode);
    }
}
