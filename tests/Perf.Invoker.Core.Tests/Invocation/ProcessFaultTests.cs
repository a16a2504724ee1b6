using Perf.Invoker.Model;

namespace Perf.Invoker.Tests.Invocation;

/// <summary>
/// Faults with real runtime processes, end to end through the pool and the invoker. After each, the
/// invariants of docs/architecture.md §3 hold: no slot held, memory equal to the containers alive, and no child
/// process left once the pool is disposed.
/// </summary>
[Trait("Category", "Process")]
public sealed class ProcessFaultTests : IAsyncLifetime
{
    private readonly ProcessInvoker _host = new("faults");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task ActionThatExhaustsItsMemory_IsAbortedWithOpenWhisksMessage()
    {
        ExecutableAction action = Activations.Action(
            "function main() { const hog = []; for (;;) hog.push('x'.repeat(1 << 20) + Math.random()); }",
            memory: 64);

        ActivationRecord record = await _host.Invoker.InvokeAsync(Activations.Message(), action);

        Assert.Equal((int)ActivationStatus.DeveloperError, record.Response.StatusCode);
        Assert.Equal("""{"error":"The action exhausted its memory and was aborted."}""", record.Response.Result.ToString());
    }

    [Fact]
    public async Task TimedOutAction_GetsTheTimeoutAnnotation_AndItsContainerIsReplaced()
    {
        ExecutableAction action = Activations.Action("function main(p) { return p.hang ? new Promise(() => {}) : {ok: true}; }", timeoutMillis: 500);

        ActivationRecord timedOut = await _host.Invoker.InvokeAsync(Activations.Message("""{"hang":true}"""), action);
        ActivationRecord next = await _host.Invoker.InvokeAsync(Activations.Message(), action);

        Assert.Equal((int)ActivationStatus.DeveloperError, timedOut.Response.StatusCode);
        Assert.Equal("""{"error":"The action exceeded its time limits of 500 milliseconds."}""", timedOut.Response.Result.ToString());
        Assert.Equal("true", timedOut.Annotations.Single(a => a.Key == "timeout").Value.ToString());
        Assert.Equal((int)ActivationStatus.Success, next.Response.StatusCode);
        Assert.NotNull(next.Annotations.SingleOrDefault(a => a.Key == "initTime"));
    }

    [Fact]
    public async Task InitFailure_IsRecordedWithTheRuntimesMessage_AndNothingIsLeftRunning()
    {
        ExecutableAction action = Activations.Action("function main( {");

        ActivationRecord record = await _host.Invoker.InvokeAsync(Activations.Message(), action);

        Assert.Equal((int)ActivationStatus.DeveloperError, record.Response.StatusCode);
        Assert.Contains("Initialization has failed due to: ", record.Response.Result.ToString());
        await Eventually.True(() => _host.LiveProcesses == 0, "the failed container's process is gone");
    }

    [Fact]
    public async Task NonBlockingActivation_GetsACompletionOnly_AndBlockingOneTheCombinedMessage()
    {
        ExecutableAction action = Activations.Action("function main() { return {}; }");

        ActivationRecord blocking = await _host.Invoker.InvokeAsync(Activations.Message(blocking: true), action);
        ActivationRecord nonBlocking = await _host.Invoker.InvokeAsync(Activations.Message(blocking: false), action);

        Assert.IsType<CombinedCompletionAndResultMessage>(_host.Sinks.Acks.Single(a => a.Id == blocking.ActivationId).Message);
        Assert.IsType<CompletionMessage>(_host.Sinks.Acks.Single(a => a.Id == nonBlocking.ActivationId).Message);
    }
}
