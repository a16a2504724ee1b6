using Perf.Invoker.Containers;
using Perf.Invoker.Invocation;
using Perf.Invoker.Model;
using Perf.Invoker.Pool;
using Perf.Invoker.Tests.Containers;

namespace Perf.Invoker.Tests.Invocation;

/// <summary>
/// Activations end to end through the invoker and the pool into Docker containers of a real dockerd. After
/// each test the invariants of docs/architecture.md §3 hold: no slot held, memory equal to the containers alive, one
/// ack per record, and no container left once the pool is disposed.
/// </summary>
[Trait("Category", "Docker")]
public sealed class DockerInvokerTests : IAsyncLifetime
{
    private readonly string _prefix = $"wsktest{Guid.NewGuid():N}"[..15] + "_";
    private readonly RecordingSinks _sinks = new();
    private DockerContainerFactory _factory = null!;
    private ContainerPool _pool = null!;
    private ActivationInvoker _invoker = null!;

    public async Task InitializeAsync()
    {
        await DockerTestImages.EnsureBuiltAsync();
        _factory = new DockerContainerFactory(new DockerContainerFactoryOptions
        {
            RuntimeImage = DockerTestImages.NodeRuntime,
            NamePrefix = _prefix,
            Network = DockerNetwork.Host,
            UserMemoryMegabytes = 1024,
        });
        _pool = new ContainerPool(_factory, new ContainerPoolOptions { UserMemoryMegabytes = 1024, NamePrefix = _prefix });
        _invoker = new ActivationInvoker(_pool, _sinks, _sinks, new InvokerInstanceId { Instance = 0, UserMemory = ByteSize.FromMegabytes(1024) });
    }

    public async Task DisposeAsync()
    {
        await Eventually.True(() => _pool.SlotsInUse == 0, "every slot is given back");
        await Eventually.True(() => _pool.MemoryInUseMegabytes == _pool.Containers.Sum(c => c.MemoryMegabytes), "memory in use equals the containers alive");
        _sinks.AssertExactlyOneAckPerRecord();
        await _pool.DisposeAsync();
        await _factory.DisposeAsync();
        Assert.Equal(0, _factory.LiveCount);
    }

    private Task<ActivationRecord> InvokeAsync(ExecutableAction action, string content = "{}") =>
        _invoker.InvokeAsync(Activations.Message(content), action);

    [DockerFact]
    public async Task ConcurrentActivations_RunTogetherInOneContainer_EachWithItsOwnIdAndLogs()
    {
        const int n = 10;
        // Each resolves only when all n have arrived in the same container (docs/openwhisk.md §8).
        ExecutableAction action = Activations.Action("""
            let arrived = 0;
            const waiting = [];
            function main(params) {
              const id = process.env.__OW_ACTIVATION_ID;
              arrived++;
              console.log('arrived ' + id);
              return new Promise(resolve => {
                waiting.push(resolve);
                if (arrived >= params.target) waiting.splice(0).forEach(r => r(arrived));
              }).then(together => ({ together, id }));
            }
            """, concurrency: n);

        ActivationRecord[] records = await Task.WhenAll(Enumerable.Range(0, n).Select(_ => InvokeAsync(action, $$"""{"target":{{n}}}""")));

        Assert.All(records, r =>
        {
            Assert.Equal((int)ActivationStatus.Success, r.Response.StatusCode);
            Assert.Contains($"\"id\":\"{r.ActivationId}\"", r.Response.Result.ToString());
            Assert.EndsWith($" stdout: arrived {r.ActivationId}", Assert.Single(r.Logs));
        });
        Assert.Single(_pool.Containers);
    }

    [DockerFact]
    public async Task ActionOfConcurrencyOne_GetsItsStdoutAndStderrLines_InItsRecord()
    {
        ExecutableAction action = Activations.Action("function main(p) { console.log('to stdout ' + p.n); console.error('to stderr'); return {}; }");

        ActivationRecord first = await InvokeAsync(action, """{"n":1}""");
        ActivationRecord second = await InvokeAsync(action, """{"n":2}""");

        Assert.Contains(first.Logs, l => l.EndsWith(" stdout: to stdout 1", StringComparison.Ordinal));
        Assert.Contains(first.Logs, l => l.EndsWith(" stderr: to stderr", StringComparison.Ordinal));
        Assert.Contains(second.Logs, l => l.EndsWith(" stdout: to stdout 2", StringComparison.Ordinal));
        Assert.Equal(2, second.Logs.Length);
    }

    [DockerFact]
    public async Task ProcessExit_FailsTheActivationWithStatusTwo_AndThePoolReplacesTheContainer()
    {
        ExecutableAction action = Activations.Action("function main(p) { if (p.exit) process.exit(1); return {ok: true}; }");
        await InvokeAsync(action);
        ContainerProxy first = Assert.Single(_pool.Containers);

        ActivationRecord exit = await InvokeAsync(action, """{"exit":true}""");
        ActivationRecord after = await InvokeAsync(action);

        Assert.Equal((int)ActivationStatus.DeveloperError, exit.Response.StatusCode);
        Assert.Equal("""{"error":"The action did not produce a valid response and exited unexpectedly."}""", exit.Response.Result.ToString());
        Assert.Equal((int)ActivationStatus.Success, after.Response.StatusCode);
        Assert.NotSame(first, Assert.Single(_pool.Containers));
    }

    [DockerFact]
    public async Task ActionThatExhaustsItsMemory_IsAbortedWithOpenWhisksMessage()
    {
        // Bounded at 1 GiB, so that a kernel without a memory cgroup gives a failed assertion, not a starved machine.
        ExecutableAction action = Activations.Action(
            "function main() { const hog = []; for (let i = 0; i < 1024; i++) hog.push(Buffer.alloc(1 << 20, 1)); return {survived: hog.length}; }",
            memory: 64);

        ActivationRecord record = await InvokeAsync(action);

        Assert.Equal((int)ActivationStatus.DeveloperError, record.Response.StatusCode);
        Assert.Equal("""{"error":"The action exhausted its memory and was aborted."}""", record.Response.Result.ToString());
    }
}
