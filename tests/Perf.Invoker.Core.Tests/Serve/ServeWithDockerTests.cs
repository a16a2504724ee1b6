using System.Diagnostics;
using Confluent.Kafka;
using Docker.DotNet.Models;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;
using Perf.Invoker.Tests.Containers;
using Perf.Invoker.Tests.Kafka;

namespace Perf.Invoker.Tests.Serve;

/// <summary>`invoker serve --containers docker` as a process, driven over the mock broker, its containers in a real dockerd.</summary>
[Collection(KafkaCollection.Name)]
[Trait("Category", "Docker")]
public sealed class ServeWithDockerTests(KafkaMockBrokerFixture broker)
{
    [DockerFact]
    public async Task ServeWithDockerContainers_RunsActivations_AndRemovesItsContainersWhenStopped()
    {
        const int Count = 10;
        await DockerTestImages.EnsureBuiltAsync();
        string prefix = broker.NewPrefix();
        string data = Directory.CreateTempSubdirectory("invoker-serve-docker-").FullName;
        using (SqliteDatabase database = SqliteDatabase.Open(Path.Combine(data, "invoker.db")))
        {
            await new SqliteActionStore(database).PutAsync("guest", "hello", new ActionSpec
            {
                Exec = new ActionExec { Kind = "nodejs:20", Code = "function main(p) { return {greeting: 'Hello, ' + p.name}; }" },
                Limits = new ActionLimits { Concurrency = 5 },
            }, overwrite: false);
        }

        await broker.CreateTopicAsync(prefix + "invoker0");
        await broker.CreateTopicAsync(prefix + "completed0", partitions: 1);
        Process invoker = StartWithDockerContainers(prefix, data);
        try
        {
            var ids = new List<string>();
            using (var producer = KafkaTestClient.Producer(broker.BootstrapServers))
            {
                for (int i = 0; i < Count; i++)
                {
                    ActivationMessage message = Activations.Message($$"""{"name":"n{{i}}"}""");
                    ids.Add(message.ActivationId.ToString());
                    await producer.ProduceAsync(prefix + "invoker0", new Message<Null, byte[]> { Value = JsonModel.ToUtf8Bytes(message) });
                }
            }

            var acks = KafkaTestClient.ReadAll(broker.BootstrapServers, prefix + "completed0", Count, partitions: 1)
                .Select(r => JsonModel.Read<CombinedCompletionAndResultMessage>(r.Message.Value))
                .ToList();

            Assert.Equal(ids.Order(), acks.Select(a => a.Response.ActivationId.ToString()).Order());
            Assert.All(acks, a => Assert.StartsWith("""{"greeting":"Hello, n""", a.Response.Record!.Response.Result.ToString()));
            Assert.NotEmpty(await InvokerContainersAsync());
        }
        finally
        {
            InvokerProcess.Stop(invoker);
            Directory.Delete(data, recursive: true);
        }

        Assert.Equal(0, invoker.ExitCode);
        Assert.Empty(await InvokerContainersAsync());
    }

    // The settings go by environment (INVOKER_*), which the child copies at its start; the Kafka collection
    // runs one test at a time, so no other invoker starts meanwhile.
    private Process StartWithDockerContainers(string prefix, string data)
    {
        (string Name, string Value)[] settings =
            [("INVOKER_CONTAINERS", "docker"), ("INVOKER_DOCKER_NETWORK", "host"), ("INVOKER_DOCKER_IMAGE", DockerTestImages.NodeRuntime)];
        try
        {
            foreach (var (name, value) in settings)
            {
                Environment.SetEnvironmentVariable(name, value);
            }

            return InvokerProcess.Start(broker, prefix, data);
        }
        finally
        {
            foreach (var (name, _) in settings)
            {
                Environment.SetEnvironmentVariable(name, null);
            }
        }
    }

    private static async Task<IList<ContainerListResponse>> InvokerContainersAsync()
    {
        using var docker = DockerTestImages.NewClient();
        IList<ContainerListResponse> all = await docker.Containers.ListContainersAsync(new ContainersListParameters { All = true });
        return [.. all.Where(c => c.Names?.Any(n => n.StartsWith("/wsk0_", StringComparison.Ordinal)) == true)];
    }
}
