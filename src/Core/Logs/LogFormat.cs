namespace Perf.Invoker.Logs;

/// <summary>How a runtime's output lines map to activations (runtimes/nodejs/README.md, "Logs").</summary>
public enum LogFormat
{
    /// <summary>OpenWhisk's: untagged lines, each activation ended by a sentinel line on stdout and on stderr. Only sound with concurrency 1.</summary>
    Sentinel,

    /// <summary>Ours under concurrency: every line starts with its activation id; sentinels name their activation.</summary>
    Tagged,

    /// <summary>A foreign runtime with concurrency above 1 that does not tag its lines: nothing can be attributed.</summary>
    NotCollected,
}
