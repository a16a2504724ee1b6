namespace Perf.Invoker.Containers;

/// <summary>Settings of the embedded container backend: runtimes as child processes on loopback ports.</summary>
public sealed class ProcessContainerFactoryOptions
{
    /// <summary>The folder of the Node.js runtime (<c>runtimes/nodejs</c>).</summary>
    public required string RuntimeDirectory { get; init; }

    /// <summary>The node executable.</summary>
    public string NodePath { get; init; } = "node";

    /// <summary>
    /// Marks every runtime process this invoker starts (an environment variable), so that a restarted
    /// invoker can find and kill what a crashed one left behind. One per invoker instance.
    /// </summary>
    public string OwnerTag { get; init; } = "wsk0";

    /// <summary>Passed to every runtime as <c>__OW_API_HOST</c> when not empty.</summary>
    public string ApiHost { get; init; } = "";

    /// <summary>Log mode for concurrent runtimes: <c>structured</c> or <c>buffered</c> (runtimes/nodejs/README.md).</summary>
    public string ConcurrentLogMode { get; init; } = "structured";

    /// <summary>How long a runtime may take to start listening.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the sweep of a crashed invoker's leftovers waits for them to end, at most.</summary>
    public TimeSpan LeftoverExitTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The clock of the waits above; tests drive it.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
