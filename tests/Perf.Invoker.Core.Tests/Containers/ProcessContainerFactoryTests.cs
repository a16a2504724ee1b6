using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using Perf.Invoker.ActionProtocol;
using Perf.Invoker.Containers;
using Perf.Invoker.Model;

namespace Perf.Invoker.Tests.Containers;

[Trait("Category", "Process")]
public sealed class ProcessContainerFactoryTests : IAsyncLifetime
{
    private readonly ProcessContainerFactory _factory = RuntimeProcesses.NewFactory("test");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        Assert.Equal(0, _factory.LiveCount);
    }

    private static ContainerSpec Spec(int concurrency = 1, string name = "wsk_test") =>
        new() { Name = name + "_" + Guid.NewGuid().ToString("N")[..6], Kind = "nodejs:20", MemoryMegabytes = 128, Concurrency = concurrency };

    [Fact]
    public async Task Container_StartsOnALoopbackPort_AndServesInitAndRun()
    {
        IContainer container = await _factory.CreateAsync(Spec(), CancellationToken.None);
        using var client = new ActionClient(container.EndPoint, 1);

        ActionResponse init = await client.InitAsync(Activations.Init("function main(p) { return {greeting: 'Hello, ' + p.name}; }"), TimeSpan.FromSeconds(30));
        ActionResponse run = await client.RunAsync(Activations.Run(ActivationId.NewId(), """{"name":"John"}"""), TimeSpan.FromSeconds(30));

        Assert.True(init.IsSuccess);
        Assert.True(run.IsSuccess);
        Assert.Equal("""{"greeting":"Hello, John"}""", run.Result.ToString());
        Assert.StartsWith("127.0.0.1:", container.EndPoint.ToString());
        await container.DestroyAsync();
        Assert.True(container.Exited.IsCompleted);
    }

    [Fact]
    public async Task Destroy_KillsTheProcess_AndIsIdempotent()
    {
        var container = (ProcessContainer)await _factory.CreateAsync(Spec(), CancellationToken.None);
        int pid = container.ProcessId;

        await container.DestroyAsync();
        await container.DestroyAsync();

        Assert.False(Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Pause_StopsTheProcess_AndResumeContinuesIt()
    {
        var container = (ProcessContainer)await _factory.CreateAsync(Spec(), CancellationToken.None);

        await container.PauseAsync();
        await Eventually.True(() => ProcessState(container.ProcessId) == 'T', "stopped after SIGSTOP");
        await container.ResumeAsync();
        await Eventually.True(() => ProcessState(container.ProcessId) != 'T', "running after SIGCONT");
    }

    [Fact]
    public async Task LeftoversOfACrashedInvoker_AreKilledAtTheNextStart()
    {
        string owner = "crashed-" + Guid.NewGuid().ToString("N")[..8];
        var crashed = new ProcessContainerFactory(new ProcessContainerFactoryOptions { RuntimeDirectory = Repository.NodeRuntime, OwnerTag = owner });
        // A second factory with the same owner tag plays the restarted invoker.
        var orphan = (ProcessContainer)await crashed.CreateAsync(Spec(), CancellationToken.None);

        var restarted = new ProcessContainerFactory(new ProcessContainerFactoryOptions { RuntimeDirectory = Repository.NodeRuntime, OwnerTag = owner });
        await restarted.RemoveLeftoversAsync(CancellationToken.None);

        await orphan.Exited.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(orphan.Exited.IsCompleted);
        await crashed.DisposeAsync();
    }

    [Fact]
    public async Task ALeftoverThatLingersAsAZombie_CountsAsGone_SoTheSweepDoesNotWaitOutItsTimeout()
    {
        string owner = "zombie-" + Guid.NewGuid().ToString("N")[..8];
        // The tagged leftover's parent (sleep, exec'd over the shell) never waits for it: once killed it stays a zombie,
        // as a crashed invoker's orphans do under an init that does not reap them.
        var start = new ProcessStartInfo("sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"env {ProcessContainerFactory.OwnerVariable}={owner} sleep 1000 & echo $!; exec sleep 1000");
        start.RedirectStandardOutput = true;
        using Process parent = Process.Start(start)!;
        int leftover = int.Parse(parent.StandardOutput.ReadLine()!, System.Globalization.CultureInfo.InvariantCulture);
        await Eventually.True(() => File.Exists($"/proc/{leftover}/environ") && File.ReadAllText($"/proc/{leftover}/environ").Contains(owner, StringComparison.Ordinal), "the leftover runs with its tag");
        var time = new FakeTimeProvider();
        DateTimeOffset begun = time.GetUtcNow();
        var restarted = new ProcessContainerFactory(new ProcessContainerFactoryOptions { RuntimeDirectory = Repository.NodeRuntime, OwnerTag = owner, Time = time });
        try
        {
            Task sweep = restarted.RemoveLeftoversAsync(CancellationToken.None).AsTask();
            // The sweep's clock moves only here: it must end well before its 10 s timeout would.
            await Eventually.True(() =>
            {
                time.Advance(TimeSpan.FromMilliseconds(10));
                return sweep.IsCompleted;
            }, "the sweep ended");
            await sweep;

            Assert.True(time.GetUtcNow() - begun < TimeSpan.FromSeconds(5), $"the sweep waited {time.GetUtcNow() - begun} on its clock");
            Assert.Equal('Z', ProcessState(leftover));
        }
        finally
        {
            parent.Kill();
            await parent.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task ConcurrentContainer_WritesTaggedLines()
    {
        IContainer container = await _factory.CreateAsync(Spec(concurrency: 4), CancellationToken.None);
        using var client = new ActionClient(container.EndPoint, 4);
        ActivationId id = ActivationId.NewId();

        await client.InitAsync(Activations.Init("function main() { console.log('hello from the action'); return {}; }"), TimeSpan.FromSeconds(30));
        await client.RunAsync(Activations.Run(id), TimeSpan.FromSeconds(30));

        while (await container.Output.WaitToReadAsync())
        {
            if (container.Output.TryRead(out OutputLine line) && line.Text == $"{id} hello from the action")
            {
                return;
            }
        }

        Assert.Fail("the tagged line never came");
    }

    [Fact]
    public async Task Runtime_DoesNotInheritTheInvokersEnvironment()
    {
        Environment.SetEnvironmentVariable("PERF_INVOKER_TEST_SECRET", "s3cret");
        IContainer container = await _factory.CreateAsync(Spec(), CancellationToken.None);
        using var client = new ActionClient(container.EndPoint, 1);

        await client.InitAsync(Activations.Init("function main() { return {secret: process.env.PERF_INVOKER_TEST_SECRET || 'none'}; }"), TimeSpan.FromSeconds(30));
        ActionResponse run = await client.RunAsync(Activations.Run(ActivationId.NewId()), TimeSpan.FromSeconds(30));

        Assert.Equal("""{"secret":"none"}""", run.Result.ToString());
    }

    [Fact]
    public async Task MemoryLimit_IsAppliedOrTheReasonIsRecorded()
    {
        IContainer container = await _factory.CreateAsync(Spec(), CancellationToken.None);

        Assert.True(container.MemoryLimitNote is null || container.MemoryLimitNote.StartsWith("memory limit not applied", StringComparison.Ordinal));
    }

    // Signals are delivered asynchronously: the tests look (Eventually) until the state shows it.
    private static char ProcessState(int pid)
    {
        // /proc/<pid>/stat: "pid (comm) S ...": the state follows the command's closing parenthesis.
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[stat.LastIndexOf(')') + 2];
    }
}
