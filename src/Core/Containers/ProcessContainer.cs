using System.Diagnostics;
using System.Net;
using System.Threading.Channels;

namespace Perf.Invoker.Containers;

/// <summary>A runtime child process as a container: SIGSTOP/SIGCONT to pause and resume, kill to destroy.</summary>
internal sealed class ProcessContainer : IContainer
{
    private readonly Process _process;
    private readonly MemoryCgroup? _cgroup;
    private readonly Action _onDestroyed;
    private readonly RuntimeOutput _output = new();

    private readonly Task _pumps;

    private readonly object _destroyGate = new();

    /// <summary>The one destruction, started by the first <see cref="DestroyAsync"/>; null until then.</summary>
    private Task? _destroy;

    public ProcessContainer(string id, Process process, MemoryCgroup? cgroup, string? memoryLimitNote, Action onDestroyed)
    {
        Id = id;
        _process = process;
        _cgroup = cgroup;
        MemoryLimitNote = memoryLimitNote;
        _onDestroyed = onDestroyed;
        EndPoint = new IPEndPoint(IPAddress.Loopback, 0);
        _pumps = Task.WhenAll(
            PumpAsync(process.StandardOutput, OutputStream.Stdout),
            PumpAsync(process.StandardError, OutputStream.Stderr));
        Exited = ExitAsync();
    }

    public string Id { get; }

    public int ProcessId => _process.Id;

    public EndPoint EndPoint { get; set; }

    public string? MemoryLimitNote { get; }

    public ChannelReader<OutputLine> Output => _output.Lines;

    public Task Exited { get; }

    public bool WasOutOfMemory => _output.HeapExhausted || (_cgroup?.HadOutOfMemoryKill() ?? false);

    public async Task<int> WaitForPortAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task finished = await Task.WhenAny(_output.Port, Exited, Task.Delay(timeout, cancellationToken)).ConfigureAwait(false);
        if (finished == _output.Port)
        {
            return await _output.Port.ConfigureAwait(false);
        }

        cancellationToken.ThrowIfCancellationRequested();
        throw new ContainerStartException(finished == Exited
            ? $"The runtime exited with code {_process.ExitCode} before listening."
            : $"The runtime did not listen within {timeout.TotalSeconds:0} s.");
    }

    private async Task PumpAsync(StreamReader reader, OutputStream stream)
    {
        try
        {
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                _output.Deliver(stream, line);
            }
        }
        catch (IOException)
        {
            // The pipe broke with the process; what was read has been delivered.
        }
    }

    private async Task ExitAsync()
    {
        await _process.WaitForExitAsync().ConfigureAwait(false);
        await _pumps.ConfigureAwait(false);
        _output.Complete();
    }

    public ValueTask PauseAsync(CancellationToken cancellationToken = default)
    {
        PosixSignals.Send(_process.Id, PosixSignals.SigStop);
        return ValueTask.CompletedTask;
    }

    public ValueTask ResumeAsync(CancellationToken cancellationToken = default)
    {
        PosixSignals.Send(_process.Id, PosixSignals.SigCont);
        return ValueTask.CompletedTask;
    }

    public ValueTask DestroyAsync()
    {
        // Every caller waits for the one destruction, so that "destroyed" means its resources are released.
        lock (_destroyGate)
        {
            _destroy ??= DestroyOnceAsync();
            return new ValueTask(_destroy);
        }
    }

    private async Task DestroyOnceAsync()
    {
        try
        {
            // A stopped process only dies once continued on some kernels; continue it first.
            PosixSignals.Send(_process.Id, PosixSignals.SigCont);
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }

        await Exited.ConfigureAwait(false);
        _cgroup?.Delete();
        _process.Dispose();
        _onDestroyed();
    }

    public ValueTask DisposeAsync() => DestroyAsync();
}
