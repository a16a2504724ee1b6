namespace Perf.Invoker.Containers;

/// <summary>What to start: one container for one action of one invocation namespace (docs/openwhisk.md §6).</summary>
public sealed record ContainerSpec
{
    /// <summary>Unique, with the invoker's prefix (<c>wsk0_12_guest_hello</c>), so leftovers can be found and removed.</summary>
    public required string Name { get; init; }

    /// <summary>The runtime kind, <c>nodejs:20</c>; <c>blackbox</c> with <see cref="Image"/>.</summary>
    public required string Kind { get; init; }

    public string? Image { get; init; }

    public required int MemoryMegabytes { get; init; }

    /// <summary>The action's concurrency limit; above 1 the runtime is told to accept overlapping /run requests.</summary>
    public required int Concurrency { get; init; }

    /// <summary>Extra environment for the runtime process (<c>__OW_API_HOST</c>, …).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Environment { get; init; } = [];
}
