using Perf.Invoker.Containers;

namespace Perf.Invoker.Host;

/// <summary>
/// Where actions run, in both modes: <c>process</c> (runtimes/nodejs child processes on loopback ports) or
/// <c>docker</c> (containers through the daemon's socket, created as OpenWhisk creates them).
/// </summary>
internal sealed record ContainerBackend(string Kind, string DockerImage, DockerNetwork DockerNetwork)
{
    public const string DefaultDockerImage = "perf-invoker-nodejs:latest";

    public const string Help = """
          --containers KIND        process or docker (INVOKER_CONTAINERS; default process)
          --docker-image IMAGE     runtime image of nodejs actions (INVOKER_DOCKER_IMAGE; default perf-invoker-nodejs:latest)
          --docker-network MODE    bridge (container address, port 8080) or host (loopback port) (INVOKER_DOCKER_NETWORK; default bridge)
        """;

    /// <summary>The flags this record reads, for hosts that reject unknown settings.</summary>
    public static readonly string[] Settings = ["containers", "docker-image", "docker-network"];

    /// <summary>Reads the backend from a host's settings lookup (flag, else environment variable); null with <paramref name="error"/> when malformed.</summary>
    public static ContainerBackend? Parse(Func<string, string, string?> get, out string? error)
    {
        string kind = get("containers", "INVOKER_CONTAINERS") ?? "process";
        string network = get("docker-network", "INVOKER_DOCKER_NETWORK") ?? "bridge";
        if (kind is not ("process" or "docker") || network is not ("bridge" or "host"))
        {
            error = $"--containers must be process or docker (got '{kind}'), --docker-network bridge or host (got '{network}')";
            return null;
        }

        error = null;
        return new ContainerBackend(kind, get("docker-image", "INVOKER_DOCKER_IMAGE") ?? DefaultDockerImage, network == "host" ? DockerNetwork.Host : DockerNetwork.Bridge);
    }

    /// <param name="namePrefix">Docker container names start with it; containers with it are removed at start (docs/openwhisk.md §5).</param>
    /// <param name="ownerTag">Process containers carry it; a restart on the same data directory removes its predecessor's.</param>
    public IContainerFactory CreateFactory(string runtimeDirectory, string namePrefix, string ownerTag, long userMemoryMegabytes) =>
        Kind == "docker"
            ? new DockerContainerFactory(new DockerContainerFactoryOptions
            {
                RuntimeImage = DockerImage,
                NamePrefix = namePrefix,
                Network = DockerNetwork,
                UserMemoryMegabytes = userMemoryMegabytes,
            })
            : new ProcessContainerFactory(new ProcessContainerFactoryOptions
            {
                RuntimeDirectory = runtimeDirectory,
                OwnerTag = ownerTag,
            });
}
