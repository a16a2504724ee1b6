using Perf.Invoker.Model;
using Perf.Invoker.Pool;

namespace Perf.Invoker.Tests.Invocation;

/// <summary>
/// OpenWhisk's concurrency acceptance test (docs/openwhisk.md §8) with real runtimes/nodejs processes:
/// activations that can only finish together prove they ran at once in one container.
/// </summary>
[Trait("Category", "Process")]
public sealed class ConcurrencyAcceptanceTests : IAsyncLifetime
{
    private const int N = 50;

    // Each activation resolves only when the container-wide counter reaches its target: if any of them
    // ran in another container, none would finish.
    private const string Rendezvous = """
        let arrived = 0;
        const waiting = [];
        function main(params) {
          const id = process.env.__OW_ACTIVATION_ID;
          arrived++;
          console.log('arrived ' + id);
          if (params.fail) return { error: 'failed on purpose' };
          if (params.exit) process.exit(1);
          return new Promise(resolve => {
            waiting.push(resolve);
            if (arrived >= params.target) waiting.splice(0).forEach(r => r(arrived));
          }).then(together => ({ together, id }));
        }
        """;

    private readonly ProcessInvoker _host = new("acceptance");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task<ActivationRecord> Invoke(ExecutableAction action, string content) => _host.InvokeAsync(action, content);

    [Fact]
    public async Task FiftyActivations_RunAtOnceInOneContainer_EachWithItsOwnIdAndLogs()
    {
        ExecutableAction action = Activations.Action(Rendezvous, concurrency: N);

        ActivationRecord[] records = await Task.WhenAll(Enumerable.Range(0, N).Select(_ => Invoke(action, $$"""{"target":{{N}}}""")));

        Assert.All(records, r =>
        {
            Assert.Equal((int)ActivationStatus.Success, r.Response.StatusCode);
            Assert.Contains($"\"id\":\"{r.ActivationId}\"", r.Response.Result.ToString());
            string line = Assert.Single(r.Logs);
            Assert.EndsWith($" stdout: arrived {r.ActivationId}", line);
        });
        Assert.Single(_host.Pool.Containers);
        Assert.Single(records, r => r.Annotations.Any(a => a.Key == "initTime"));
        _host.Sinks.AssertExactlyOneAckPerRecord();
        Assert.Equal(0, _host.Pool.SlotsInUse);
    }

    [Fact]
    public async Task OneFailingActivation_DoesNotFailTheOthers()
    {
        ExecutableAction action = Activations.Action(Rendezvous, concurrency: N);

        Task<ActivationRecord>[] runs = [.. Enumerable.Range(0, N).Select(i => Invoke(action, i == 7 ? """{"fail":true}""" : $$"""{"target":{{N}}}"""))];
        ActivationRecord[] records = await Task.WhenAll(runs);

        Assert.Equal((int)ActivationStatus.ApplicationError, records[7].Response.StatusCode);
        Assert.Equal(N - 1, records.Count(r => r.Response.StatusCode == (int)ActivationStatus.Success));
        Assert.Single(_host.Pool.Containers);
        _host.Sinks.AssertExactlyOneAckPerRecord();
    }

    [Fact]
    public async Task ProcessExit_FailsEveryActivationInFlight_WithStatusTwo_AndThePoolReplacesTheContainer()
    {
        ExecutableAction action = Activations.Action(Rendezvous, concurrency: N);
        ActivationRecord warm = await Invoke(action, """{"target":1}""");
        Assert.Equal((int)ActivationStatus.Success, warm.Response.StatusCode);
        ContainerProxy first = Assert.Single(_host.Pool.Containers);

        // Ten wait for a rendezvous that never comes; then one exits the process under them.
        Task<ActivationRecord>[] waiting = [.. Enumerable.Range(0, 10).Select(_ => Invoke(action, """{"target":1000}"""))];
        await Eventually.True(() => first.Slots.InFlight == 10, "ten activations in flight");

        ActivationRecord exit = await Invoke(action, """{"exit":true}""");
        ActivationRecord[] failed = await Task.WhenAll(waiting);

        Assert.All([exit, .. failed], r =>
        {
            Assert.Equal((int)ActivationStatus.DeveloperError, r.Response.StatusCode);
            Assert.Equal("""{"error":"The action did not produce a valid response and exited unexpectedly."}""", r.Response.Result.ToString());
        });
        ActivationRecord after = await Invoke(action, """{"target":1}""");
        Assert.Equal((int)ActivationStatus.Success, after.Response.StatusCode);
        Assert.NotSame(first, Assert.Single(_host.Pool.Containers));
        Assert.Equal(ProxyState.Removed, first.State);
        _host.Sinks.AssertExactlyOneAckPerRecord();
        Assert.Equal(0, _host.Pool.SlotsInUse);
        Assert.Equal(256, _host.Pool.MemoryInUseMegabytes);
    }
}
