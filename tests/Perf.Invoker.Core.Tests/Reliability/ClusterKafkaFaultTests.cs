using Perf.Invoker.Feed.Kafka;
using Perf.Invoker.Kafka;
using Perf.Invoker.Tests.CouchDb;
using Perf.Invoker.Tests.Kafka;
using Xunit.Abstractions;

namespace Perf.Invoker.Tests.Reliability;

/// <summary>
/// Kafka faults under <c>invoker serve</c> in a cluster (docs/reliability.md): each test a mock Kafka cluster of three
/// brokers of its own, so taking brokers down or moving leaders touches no other test. After each fault every
/// activation is acked, has one record in CouchDB, the group is committed to the end and the invoker is at rest
/// (<see cref="ClusterFaultRun.FinishAsync"/>).
/// </summary>
[Collection(KafkaCollection.Name)]
[Trait("Category", "Kafka")]
public sealed class ClusterKafkaFaultTests(CouchDbFixture couch, ITestOutputHelper output) : IClassFixture<CouchDbFixture>
{
    private const int Count = 600;
    private const int Window = 40;

    [Fact]
    public async Task EveryBrokerDownForThirtySecondsMidRun_LosesNothing_AndTheRunCompletesOnceTheyAreBack()
    {
        await using ClusterFaultRun run = await ClusterFaultRun.StartAsync(couch, output);
        run.Send(Count, Window);
        await run.AckedAsync(Count / 3);

        await run.FaultAsync("every broker down", () => AllBrokersAsync(run, up: false), TimeSpan.FromSeconds(30), () => AllBrokersAsync(run, up: true));

        await run.FinishAsync("Kafka: every broker down 30 s mid-run, then back");
    }

    [Fact]
    public async Task EveryPartitionsLeaderMovesToAnotherBrokerMidRun_LosesNothing()
    {
        await using ClusterFaultRun run = await ClusterFaultRun.StartAsync(couch, output);
        run.Send(Count, Window);
        await run.AckedAsync(Count / 3);

        await run.FaultAsync("leaders move", () => MoveLeadersAsync(run), TimeSpan.Zero, () => Task.CompletedTask);

        await run.FinishAsync("Kafka: every invoker0 and completed0 partition's leader moves to another broker mid-run");
    }

    [Fact]
    public async Task ASecondConsumerJoiningTheGroupWithWorkInFlight_AndLeaving_LosesNothing()
    {
        await using ClusterFaultRun run = await ClusterFaultRun.StartAsync(couch, output);
        run.Send(Count, Window);
        await run.AckedAsync(Count / 3);
        KafkaActivationConsumer? intruder = null;

        // A second member of invoker0's group (as a second invoker of the same id would be): the group rebalances, taking
        // partitions away from the invoker with its activations in flight; the member reads but commits nothing, and leaves.
        await run.FaultAsync("a second consumer joins", async () =>
        {
            intruder = new KafkaActivationConsumer(new KafkaOptions
            {
                BootstrapServers = run.Broker.BootstrapServers,
                TopicPrefix = run.Prefix,
                Extra = KafkaTestClient.GroupSettings,
            }, 0);
            intruder.Start();
            await Eventually.True(() => intruder.AssignedPartitions.Count > 0, "the second consumer got partitions", seconds: 60);
        }, TimeSpan.FromSeconds(5), () =>
        {
            intruder!.Dispose();
            return Task.CompletedTask;
        });

        await run.FinishAsync("Kafka: a second consumer joins invoker0's group with work in flight, leaves 5 s later");
    }

    private static async Task AllBrokersAsync(ClusterFaultRun run, bool up)
    {
        for (int id = 1; id <= 3; id++)
        {
            await (up ? run.Broker.SetBrokerUpAsync(id) : run.Broker.SetBrokerDownAsync(id));
        }
    }

    private static async Task MoveLeadersAsync(ClusterFaultRun run)
    {
        // The mock puts partition p's leader on broker (p % 3) + 1 at creation; each moves to the next broker.
        for (int partition = 0; partition < ClusterFaultRun.Partitions; partition++)
        {
            await run.Broker.SetLeaderAsync(run.Topic, partition, ((partition + 1) % 3) + 1);
        }

        await run.Broker.SetLeaderAsync(run.Prefix + "completed0", 0, 2);
    }
}
