using System.Buffers;
using System.Net;
using System.Threading.Channels;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Perf.Invoker.Containers;

/// <summary>
/// A started Docker container: its output comes from the attach stream opened before it started (so no
/// line is missed), demultiplexed into stdout and stderr lines; pause and resume are Docker's (the cgroup
/// freezer); destroy is a forced remove.
/// </summary>
internal sealed class DockerContainer : IContainer
{
    private readonly IDockerClient _client;

    /// <summary>Docker's id of the container (<see cref="Id"/> is its name).</summary>
    private readonly string _dockerId;

    private readonly Action _onDestroyed;
    private readonly RuntimeOutput _output = new();

    private readonly object _destroyGate = new();

    /// <summary>The one destruction, started by the first <see cref="DestroyAsync"/>; null until then.</summary>
    private Task? _destroy;

    /// <summary>Set when Docker reported, after the container stopped, that the kernel killed it for its memory limit.</summary>
    private volatile bool _oomKilled;

    public DockerContainer(IDockerClient client, string name, string dockerId, MultiplexedStream attached, string? memoryLimitNote, Action onDestroyed)
    {
        _client = client;
        Id = name;
        _dockerId = dockerId;
        MemoryLimitNote = memoryLimitNote;
        _onDestroyed = onDestroyed;
        EndPoint = new IPEndPoint(IPAddress.Loopback, 0);
        Exited = ExitAsync(PumpAsync(attached));
    }

    public string Id { get; }

    public EndPoint EndPoint { get; set; }

    public string? MemoryLimitNote { get; }

    public ChannelReader<OutputLine> Output => _output.Lines;

    public Task Exited { get; }

    public bool WasOutOfMemory => _output.HeapExhausted || _oomKilled;

    public async Task<int> WaitForPortAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task finished = await Task.WhenAny(_output.Port, Exited, Task.Delay(timeout, cancellationToken)).ConfigureAwait(false);
        if (finished == _output.Port)
        {
            return await _output.Port.ConfigureAwait(false);
        }

        cancellationToken.ThrowIfCancellationRequested();
        throw new ContainerStartException(finished == Exited
            ? "The runtime exited before listening."
            : $"The runtime did not listen within {timeout.TotalSeconds:0} s.");
    }

    private async Task PumpAsync(MultiplexedStream attached)
    {
        Utf8LineSplitter stdout = new(), stderr = new();
        var lines = new List<string>();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            while (true)
            {
                MultiplexedStream.ReadResult read = await attached.ReadOutputAsync(buffer, 0, buffer.Length, CancellationToken.None).ConfigureAwait(false);
                if (read.EOF)
                {
                    break;
                }

                OutputStream stream = read.Target == MultiplexedStream.TargetStream.StandardError ? OutputStream.Stderr : OutputStream.Stdout;
                (stream == OutputStream.Stdout ? stdout : stderr).Write(buffer.AsSpan(0, read.Count), lines);
                Deliver(stream, lines);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The connection broke with the container; what was read has been delivered.
        }
        finally
        {
            stdout.Flush(lines);
            Deliver(OutputStream.Stdout, lines);
            stderr.Flush(lines);
            Deliver(OutputStream.Stderr, lines);
            attached.Dispose();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Deliver(OutputStream stream, List<string> lines)
    {
        foreach (string line in lines)
        {
            _output.Deliver(stream, line);
        }

        lines.Clear();
    }

    private async Task ExitAsync(Task pump)
    {
        try
        {
            await _client.Containers.WaitContainerAsync(_dockerId, CancellationToken.None).ConfigureAwait(false);
            ContainerInspectResponse stopped = await _client.Containers.InspectContainerAsync(_dockerId, CancellationToken.None).ConfigureAwait(false);
            _oomKilled = stopped.State?.OOMKilled ?? false;
        }
        catch (Exception e) when (DockerContainerFactory.IsDockerFailure(e))
        {
            // Removed meanwhile (destroyed), or the daemon is gone: the container has stopped either way.
        }

        await pump.ConfigureAwait(false);
        _output.Complete();
    }

    public ValueTask PauseAsync(CancellationToken cancellationToken = default) =>
        new(TransitionAsync(_client.Containers.PauseContainerAsync(_dockerId, cancellationToken)));

    public ValueTask ResumeAsync(CancellationToken cancellationToken = default) =>
        new(TransitionAsync(_client.Containers.UnpauseContainerAsync(_dockerId, cancellationToken)));

    // The pool chains transitions and never expects one to fail (a process container's signals cannot).
    // A container that stopped or was removed cannot be paused or resumed: its activations fail on their
    // own (the connection is refused or closed) and the pool removes it, as with a runtime that died.
    private static async Task TransitionAsync(Task transition)
    {
        try
        {
            await transition.ConfigureAwait(false);
        }
        catch (Exception e) when (DockerContainerFactory.IsDockerFailure(e))
        {
        }
    }

    public ValueTask DestroyAsync()
    {
        // Every caller waits for the one destruction, so that "destroyed" means the container is gone.
        lock (_destroyGate)
        {
            _destroy ??= DestroyOnceAsync();
            return new ValueTask(_destroy);
        }
    }

    private async Task DestroyOnceAsync()
    {
        // Not removed (the daemon failed): it may never exit, so do not wait for it; the next start's sweep removes it.
        if (await DockerContainerFactory.RemoveQuietlyAsync(_client, _dockerId).ConfigureAwait(false))
        {
            await Exited.ConfigureAwait(false);
        }

        _onDestroyed();
    }

    public ValueTask DisposeAsync() => DestroyAsync();
}
