namespace Perf.Invoker.Containers;

/// <summary>How the invoker reaches a Docker action container's runtime.</summary>
public enum DockerNetwork : byte
{
    /// <summary>OpenWhisk's default: the container's own address on the bridge network, port 8080.</summary>
    Bridge,

    /// <summary>The host's network namespace: the runtime listens on a loopback port it picks and announces (tests).</summary>
    Host,
}

/// <summary>Settings of the Docker container backend (docs/openwhisk.md §5, container creation).</summary>
public sealed class DockerContainerFactoryOptions
{
    /// <summary>The Docker Engine API's Unix socket (<c>unix://</c>; the factory uses the Unix transport only).</summary>
    public Uri Endpoint { get; init; } = new("unix:///var/run/docker.sock");

    /// <summary>The image of a kind <see cref="RuntimeImages"/> does not name (the Node.js runtime's); blackbox actions bring their own.</summary>
    public required string RuntimeImage { get; init; }

    /// <summary>Each kind's image (the runtimes manifest's <c>prefix/name:tag</c>), before <see cref="RuntimeImage"/>.</summary>
    public IReadOnlyDictionary<string, string> RuntimeImages { get; init; } = new Dictionary<string, string>();

    /// <summary>Every container's name starts with it (<c>wsk0_</c>); leftovers are found by it.</summary>
    public required string NamePrefix { get; init; }

    public DockerNetwork Network { get; init; } = DockerNetwork.Bridge;

    /// <summary>The invoker's user memory, which the CPU shares formula divides by the action's memory.</summary>
    public long UserMemoryMegabytes { get; init; } = 2048;

    /// <summary>Passed to every runtime as <c>__OW_API_HOST</c>.</summary>
    public string ApiHost { get; init; } = "";

    /// <summary>Log mode for concurrent runtimes: <c>structured</c> or <c>buffered</c> (runtimes/nodejs/README.md).</summary>
    public string ConcurrentLogMode { get; init; } = "structured";

    /// <summary>How long a container may take from create to a listening runtime.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
