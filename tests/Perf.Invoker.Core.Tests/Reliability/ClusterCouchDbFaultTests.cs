using Perf.Invoker.Tests.CouchDb;
using Perf.Invoker.Tests.Kafka;
using Xunit.Abstractions;

namespace Perf.Invoker.Tests.Reliability;

/// <summary>
/// CouchDB faults under <c>invoker serve</c> in a cluster (docs/reliability.md): the invoker reaches pouchdb-server
/// through a <see cref="ClusterFaultProxy"/> that plays it down, slow or restarted. Records that fail to write are retried
/// (CouchActivationStore) and none is lost or written twice; acks go out before the store, so they do not wait.
/// </summary>
[Collection(KafkaCollection.Name)]
[Trait("Category", "Kafka")]
public sealed class ClusterCouchDbFaultTests(CouchDbFixture couch, ITestOutputHelper output) : IClassFixture<CouchDbFixture>
{
    private const int Count = 600;
    private const int Window = 40;

    [Fact]
    public async Task CouchDbUnreachableForFifteenSecondsMidRun_EveryRecordIsWrittenOnceItIsBack()
    {
        await using var proxy = new ClusterFaultProxy(couch.Server);
        await using ClusterFaultRun run = await ClusterFaultRun.StartAsync(couch, output, _ => proxy.Address);
        run.Send(Count, Window);
        await run.AckedAsync(Count / 3);

        await run.FaultAsync("CouchDB down", Set(proxy, down: true), TimeSpan.FromSeconds(15), Set(proxy, down: false));

        await run.FinishAsync("CouchDB: unreachable 15 s mid-run (every connection reset), then back");
    }

    [Fact]
    public async Task CouchDbAnsweringSecondsLateForTwentySeconds_EveryRecordIsWrittenOnce()
    {
        await using var proxy = new ClusterFaultProxy(couch.Server);
        await using ClusterFaultRun run = await ClusterFaultRun.StartAsync(couch, output, _ => proxy.Address);
        run.Send(Count, Window);
        await run.AckedAsync(Count / 3);

        await run.FaultAsync("CouchDB slow", () =>
        {
            proxy.Delay = TimeSpan.FromSeconds(2);
            return Task.CompletedTask;
        }, TimeSpan.FromSeconds(20), () =>
        {
            proxy.Delay = TimeSpan.Zero;
            return Task.CompletedTask;
        });

        await run.FinishAsync("CouchDB: slow, 2 s per request for 20 s mid-run");
    }

    [Fact]
    public async Task CouchDbRestartedMidRun_EveryRecordIsWrittenOnce()
    {
        await using var proxy = new ClusterFaultProxy(couch.Server);
        await using ClusterFaultRun run = await ClusterFaultRun.StartAsync(couch, output, _ => proxy.Address);
        run.Send(Count, Window);
        await run.AckedAsync(Count / 3);

        // A restart: every connection reset with requests on them, the database gone for two seconds, then back.
        await run.FaultAsync("CouchDB restarts", Set(proxy, down: true), TimeSpan.FromSeconds(2), Set(proxy, down: false));

        await run.FinishAsync("CouchDB: restarted mid-run (connections reset, 2 s down)");
    }

    private static Func<Task> Set(ClusterFaultProxy proxy, bool down) => () =>
    {
        proxy.Down = down;
        return Task.CompletedTask;
    };
}
