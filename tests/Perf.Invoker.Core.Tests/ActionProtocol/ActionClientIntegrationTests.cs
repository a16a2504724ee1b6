using Perf.Invoker.ActionProtocol;
using Perf.Invoker.Containers;
using Perf.Invoker.Model;

namespace Perf.Invoker.Tests.ActionProtocol;

/// <summary>The action client against real runtimes/nodejs processes: every outcome of docs/openwhisk.md §4–5.</summary>
[Trait("Category", "Process")]
public sealed class ActionClientIntegrationTests : IAsyncLifetime
{
    private readonly ProcessContainerFactory _factory = RuntimeProcesses.NewFactory("test");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private async Task<(IContainer Container, ActionClient Client)> StartAsync(string code, int concurrency = 1, int maxResult = ActionClient.DefaultMaxResultLength)
    {
        IContainer container = await _factory.CreateAsync(
            new ContainerSpec { Name = "wsk_client_" + Guid.NewGuid().ToString("N")[..6], Kind = "nodejs:20", MemoryMegabytes = 256, Concurrency = concurrency },
            CancellationToken.None);
        var client = new ActionClient(container.EndPoint, concurrency, maxResult);
        ActionResponse init = await client.InitAsync(Activations.Init(code), TimeSpan.FromSeconds(30));
        Assert.True(init.IsSuccess, init.Result.ToString());
        return (container, client);
    }

    [Fact]
    public async Task TwoHundredConcurrentRuns_OnOneRuntime_EachSeeTheirOwnActivationId()
    {
        const string code = """
            function main() {
              const delay = Math.floor(Math.random() * 20);
              return new Promise(resolve => setTimeout(() => resolve({ id: process.env.__OW_ACTIVATION_ID }), delay));
            }
            """;
        var (_, client) = await StartAsync(code, concurrency: 200);
        ActivationId[] ids = [.. Enumerable.Range(0, 200).Select(_ => ActivationId.NewId())];

        ActionResponse[] responses = await Task.WhenAll(ids.Select(id => client.RunAsync(Activations.Run(id), TimeSpan.FromSeconds(60)).AsTask()));

        for (int i = 0; i < ids.Length; i++)
        {
            Assert.True(responses[i].IsSuccess, responses[i].Result.ToString());
            Assert.Equal($$"""{"id":"{{ids[i]}}"}""", responses[i].Result.ToString());
        }

        Assert.InRange(client.Counters.OpenConnections, 1, 200);
        client.Dispose();
    }

    [Fact]
    public async Task ErrorField_IsAnApplicationError_AndKeepsTheContainer()
    {
        var (_, client) = await StartAsync("function main() { return {error: 'nope'}; }");

        ActionResponse run = await client.RunAsync(Activations.Run(ActivationId.NewId()), TimeSpan.FromSeconds(30));

        Assert.Equal(ActivationStatus.ApplicationError, run.Status);
        Assert.Equal("""{"error":"nope"}""", run.Result.ToString());
        Assert.True(run.KeepsContainer);
        client.Dispose();
    }

    [Fact]
    public async Task RejectedPromise_IsAnApplicationError()
    {
        var (_, client) = await StartAsync("function main() { return Promise.reject({reason: 'declined'}); }");

        ActionResponse run = await client.RunAsync(Activations.Run(ActivationId.NewId()), TimeSpan.FromSeconds(30));

        Assert.Equal(ActivationStatus.ApplicationError, run.Status);
        Assert.Equal("""{"error":{"reason":"declined"}}""", run.Result.ToString());
        client.Dispose();
    }

    [Fact]
    public async Task SynchronousThrow_IsADeveloperError_ThatDestroysTheContainer()
    {
        var (_, client) = await StartAsync("function main() { throw new Error('boom'); }");

        ActionResponse run = await client.RunAsync(Activations.Run(ActivationId.NewId()), TimeSpan.FromSeconds(30));

        Assert.Equal(ActivationStatus.DeveloperError, run.Status);
        Assert.Contains("An error has occurred: Error: boom", run.Result.ToString());
        Assert.False(run.KeepsContainer);
        client.Dispose();
    }

    [Fact]
    public async Task NonDictionaryResult_IsADeveloperError()
    {
        var (_, client) = await StartAsync("function main() { return 42; }");

        ActionResponse run = await client.RunAsync(Activations.Run(ActivationId.NewId()), TimeSpan.FromSeconds(30));

        Assert.Equal(ActivationStatus.DeveloperError, run.Status);
        Assert.Equal("""{"error":"The action did not return a dictionary."}""", run.Result.ToString());
        client.Dispose();
    }

    [Fact]
    public async Task InitFailure_IsADeveloperError_WithTheRuntimesMessage()
    {
        IContainer container = await _factory.CreateAsync(
            new ContainerSpec { Name = "wsk_client_bad", Kind = "nodejs:20", MemoryMegabytes = 256, Concurrency = 1 }, CancellationToken.None);
        using var client = new ActionClient(container.EndPoint, 1);

        ActionResponse init = await client.InitAsync(Activations.Init("function main( {"), TimeSpan.FromSeconds(30));

        Assert.Equal(ActivationStatus.DeveloperError, init.Status);
        Assert.Contains("Initialization has failed due to: ", init.Result.ToString());
    }

    [Fact]
    public async Task ActionThatNeverAnswers_TimesOutWithOpenWhisksMessage()
    {
        var (_, client) = await StartAsync("function main() { return new Promise(() => {}); }");

        ActionResponse run = await client.RunAsync(Activations.Run(ActivationId.NewId()), TimeSpan.FromMilliseconds(300));

        Assert.Equal(ActionResponseKind.TimedOut, run.Kind);
        Assert.Equal("""{"error":"The action exceeded its time limits of 300 milliseconds."}""", run.Result.ToString());
        Assert.Equal(0, client.Counters.BusyConnections);
        client.Dispose();
    }

    [Fact]
    public async Task ProcessExit_IsNoResponse_WithTheAbnormalRunMessage()
    {
        var (container, client) = await StartAsync("function main() { process.exit(1); }");

        ActionResponse run = await client.RunAsync(Activations.Run(ActivationId.NewId()), TimeSpan.FromSeconds(30));

        Assert.Equal(ActionResponseKind.NoResponse, run.Kind);
        Assert.Equal(ActivationStatus.DeveloperError, run.Status);
        Assert.Equal("""{"error":"The action did not produce a valid response and exited unexpectedly."}""", run.Result.ToString());
        await container.Exited.WaitAsync(TimeSpan.FromSeconds(30));
        client.Dispose();
    }

    [Fact]
    public async Task ResultOverTheLimit_IsTruncatedToAnApplicationError()
    {
        var (_, client) = await StartAsync("function main() { return {big: 'x'.repeat(5000)}; }", maxResult: 1000);

        ActionResponse run = await client.RunAsync(Activations.Run(ActivationId.NewId()), TimeSpan.FromSeconds(30));

        Assert.Equal(ActivationStatus.ApplicationError, run.Status);
        Assert.Equal("""{"error":"The action produced a response that exceeded the allowed length: 5010 > 1000 bytes."}""", run.Result.ToString());
        Assert.Equal(5010, run.Size);
        client.Dispose();
    }
}
