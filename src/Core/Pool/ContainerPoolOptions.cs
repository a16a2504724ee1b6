namespace Perf.Invoker.Pool;

/// <summary>Stem cells to keep started for a kind and memory size, so that a cold start skips the container start (docs/openwhisk.md §6).</summary>
public sealed record PrewarmConfig(string Kind, int MemoryMegabytes, int Count, bool Concurrent = false);

/// <summary>Settings of the container pool (docs/openwhisk.md §6–7).</summary>
public sealed class ContainerPoolOptions
{
    /// <summary>Memory for all containers together, prewarms included; counted once per container whatever its concurrency.</summary>
    public long UserMemoryMegabytes { get; init; } = 2048;

    /// <summary>An idle container is paused after this long (OpenWhisk's <c>pause-grace</c>).</summary>
    public TimeSpan PauseGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>An idle container is removed after this long (OpenWhisk's <c>idle-container</c>).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Idle removal for containers of concurrent actions (the seed's FUTURE list): one such container holds
    /// the capacity of many, so it is worth keeping longer.
    /// </summary>
    public TimeSpan ConcurrentIdleTimeout { get; init; } = TimeSpan.FromMinutes(30);

    public IReadOnlyList<PrewarmConfig> Prewarm { get; init; } = [];

    /// <summary>The allowed per-action concurrency; an action outside it is refused with OpenWhisk's message.</summary>
    public Model.ConcurrencyRange Concurrency { get; init; } = new();

    /// <summary>Prefix of container names (<c>wsk0_</c>): leftovers with it are removed at start (docs/openwhisk.md §5).</summary>
    public string NamePrefix { get; init; } = "wsk0_";

    /// <summary>How long after its /run answer an activation waits for its log sentinels.</summary>
    public TimeSpan LogSentinelWait { get; init; } = TimeSpan.FromSeconds(2);
}
