using Perf.Invoker.Containers;

namespace Perf.Invoker.Host.Engine;

/// <summary>Where actions run: <see cref="Process"/> (runtimes/nodejs child processes on loopback ports) or <see cref="Docker"/>.</summary>
internal enum ContainerBackendKind
{
    Process,

    /// <summary>Containers through the daemon's socket, created as OpenWhisk creates them.</summary>
    Docker,
}

/// <summary>Where actions run, in both modes, with the Docker backend's image and network.</summary>
internal sealed record ContainerBackend(ContainerBackendKind Kind, string DockerImage, DockerNetwork DockerNetwork)
{
    public const string DefaultDockerImage = "perf-invoker-nodejs:latest";

    public const string Help = """
          --containers KIND        process or docker (INVOKER_CONTAINERS; default process)
          --docker-image IMAGE     runtime image of nodejs actions (INVOKER_DOCKER_IMAGE; default perf-invoker-nodejs:latest)
          --docker-network MODE    bridge (container address, port 8080) or host (loopback port) (INVOKER_DOCKER_NETWORK; default bridge)
        """;

    public static readonly Setting ContainersSetting = new("containers", "INVOKER_CONTAINERS");
    public static readonly Setting DockerImageSetting = new("docker-image", "INVOKER_DOCKER_IMAGE");
    public static readonly Setting DockerNetworkSetting = new("docker-network", "INVOKER_DOCKER_NETWORK");

    /// <summary>The settings this record reads.</summary>
    public static readonly Setting[] Table = [ContainersSetting, DockerImageSetting, DockerNetworkSetting];

    public static ContainerBackend Read(SettingsReader reader) => new(
        reader.Choice(ContainersSetting, "process", "docker") == "docker" ? ContainerBackendKind.Docker : ContainerBackendKind.Process,
        reader.Text(DockerImageSetting, DefaultDockerImage),
        reader.Choice(DockerNetworkSetting, "bridge", "host") == "host" ? DockerNetwork.Host : DockerNetwork.Bridge);

    /// <param name="namePrefix">Docker container names start with it; containers with it are removed at start (docs/openwhisk.md §5).</param>
    /// <param name="ownerTag">Process containers carry it; a restart on the same data directory removes its predecessor's.</param>
    /// <param name="runtimes">Each kind's image (Docker: --docker-image for the kinds it does not name) and <c>__OW_API_HOST</c>.</param>
    public IContainerFactory CreateFactory(string runtimeDirectory, string namePrefix, string ownerTag, long userMemoryMegabytes, ActionRuntimes runtimes) =>
        Kind == ContainerBackendKind.Docker
            ? new DockerContainerFactory(new DockerContainerFactoryOptions
            {
                RuntimeImage = DockerImage,
                RuntimeImages = runtimes.Images,
                NamePrefix = namePrefix,
                Network = DockerNetwork,
                UserMemoryMegabytes = userMemoryMegabytes,
                ApiHost = runtimes.ApiHost,
            })
            : new ProcessContainerFactory(new ProcessContainerFactoryOptions
            {
                RuntimeDirectory = runtimeDirectory,
                OwnerTag = ownerTag,
                ApiHost = runtimes.ApiHost,
            });
}
