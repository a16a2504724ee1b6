using System.Net;
using System.Threading.Channels;

namespace Perf.Invoker.Containers;

/// <summary>Which output stream of a runtime a line came from.</summary>
public enum OutputStream : byte
{
    Stdout,
    Stderr,
}

/// <summary>One line a runtime wrote (without its line feed), with when the invoker read it.</summary>
public readonly record struct OutputLine(OutputStream Stream, string Text, DateTimeOffset Time);

/// <summary>
/// A started action container: where its runtime listens, what it writes, and its lifecycle. The pool
/// owns it; the action client talks to <see cref="EndPoint"/>; the log collector reads <see cref="Output"/>.
/// </summary>
public interface IContainer : IAsyncDisposable
{
    /// <summary>The container's name (its <see cref="ContainerSpec.Name"/>).</summary>
    string Id { get; }

    /// <summary>Where the runtime accepts /init and /run (a loopback <see cref="IPEndPoint"/> or a Unix socket).</summary>
    EndPoint EndPoint { get; }

    /// <summary>Null when the memory limit was applied; otherwise why none was (recorded on activations).</summary>
    string? MemoryLimitNote { get; }

    /// <summary>Every line of stdout and stderr, in the order each stream wrote them; completes when the container has exited.</summary>
    ChannelReader<OutputLine> Output { get; }

    /// <summary>Completes when the runtime has exited, for whatever reason.</summary>
    Task Exited { get; }

    /// <summary>True when the runtime was killed for exceeding its memory limit.</summary>
    bool WasOutOfMemory { get; }

    /// <summary>Stops scheduling the runtime's processes (idle containers, docs/openwhisk.md §6).</summary>
    ValueTask PauseAsync(CancellationToken cancellationToken = default);

    ValueTask ResumeAsync(CancellationToken cancellationToken = default);

    /// <summary>Kills the runtime and waits until it has exited and its resources are released. Idempotent.</summary>
    ValueTask DestroyAsync();
}

/// <summary>Starts containers and cleans up what an earlier invoker left behind.</summary>
public interface IContainerFactory : IAsyncDisposable
{
    /// <summary>Starts a container and returns once its runtime accepts connections (or is about to: callers retry refused /init connections).</summary>
    ValueTask<IContainer> CreateAsync(ContainerSpec spec, CancellationToken cancellationToken);

    /// <summary>Removes every container with this invoker's prefix, including those of a crashed predecessor.</summary>
    ValueTask RemoveLeftoversAsync(CancellationToken cancellationToken);
}

/// <summary>A container could not be started: the activation gets "Failed to provision resources to run the action." (docs/openwhisk.md §4).</summary>
public sealed class ContainerStartException(string message, Exception? inner = null) : Exception(message, inner);
