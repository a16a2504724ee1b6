using Perf.Invoker.Containers;
using Perf.Invoker.Invocation;
using Perf.Invoker.Model;
using Perf.Invoker.Pool;

namespace Perf.Invoker.Tests.Invocation;

/// <summary>
/// An invoker over real runtimes/nodejs processes with recording sinks. Disposing it checks docs/architecture.md
/// §3 afterwards: no slot held, memory equal to the containers alive, one ack per record, and no
/// runtime process left.
/// </summary>
internal sealed class ProcessInvoker : IAsyncDisposable
{
    private readonly ProcessContainerFactory _factory;

    public ProcessInvoker(string owner)
    {
        _factory = RuntimeProcesses.NewFactory(owner);
        Pool = new ContainerPool(_factory, new ContainerPoolOptions { UserMemoryMegabytes = 1024 });
        Invoker = new ActivationInvoker(Pool, Sinks, Sinks, new InvokerInstanceId { Instance = 0, UserMemory = ByteSize.FromMegabytes(1024) });
    }

    public ContainerPool Pool { get; }

    public ActivationInvoker Invoker { get; }

    public RecordingSinks Sinks { get; } = new();

    public int LiveProcesses => _factory.LiveCount;

    public Task<ActivationRecord> InvokeAsync(ExecutableAction action, string content = "{}", bool blocking = true) =>
        Invoker.InvokeAsync(Activations.Message(content, blocking: blocking), action);

    public async ValueTask DisposeAsync()
    {
        await Eventually.True(() => Pool.SlotsInUse == 0, "every slot is given back");
        await Eventually.True(() => Pool.MemoryInUseMegabytes == Pool.Containers.Sum(c => c.MemoryMegabytes), "memory in use equals the containers alive");
        Sinks.AssertExactlyOneAckPerRecord();
        await Pool.DisposeAsync();
        await _factory.DisposeAsync();
        Assert.Equal(0, _factory.LiveCount);
    }
}
