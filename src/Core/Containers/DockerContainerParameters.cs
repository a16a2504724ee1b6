using System.Globalization;
using Docker.DotNet.Models;

namespace Perf.Invoker.Containers;

/// <summary>The create request for one action container, with OpenWhisk's limits and environment (docs/openwhisk.md §5).</summary>
internal static class DockerContainerParameters
{
    /// <summary>The runtime's port with bridge networking, as in OpenWhisk.</summary>
    public const int BridgePort = 8080;

    private const long Megabyte = 1L << 20;

    /// <summary>
    /// OpenWhisk's share of the CPU, <c>max(1024 / (userMemory / actionMemory), 2)</c>, computed as its
    /// ContainerPoolConfig.cpuShare does: in doubles, truncated.
    /// </summary>
    public static long CpuShares(long userMemoryMegabytes, int actionMemoryMegabytes) =>
        Math.Max((long)(1024.0 * actionMemoryMegabytes / userMemoryMegabytes), 2);

    public static CreateContainerParameters For(ContainerSpec spec, DockerContainerFactoryOptions options)
    {
        var env = new List<string>(spec.Environment.Count + 6) { $"__OW_API_HOST={options.ApiHost}" };
        foreach (var (key, value) in spec.Environment)
        {
            env.Add($"{key}={value}");
        }

        if (options.Network == DockerNetwork.Host)
        {
            // The host's namespace is shared: listen on loopback only, on a port the runtime picks and announces (no race).
            env.Add("OW_RUNTIME_HOST=127.0.0.1");
            env.Add("OW_RUNTIME_PORT=0");
        }
        else
        {
            env.Add("OW_RUNTIME_HOST=0.0.0.0");
            env.Add(string.Create(CultureInfo.InvariantCulture, $"OW_RUNTIME_PORT={BridgePort}"));
        }

        if (spec.Concurrency > 1)
        {
            env.Add("__OW_ALLOW_CONCURRENT=true");
            env.Add($"OW_LOG_MODE={options.ConcurrentLogMode}");
        }

        long memory = spec.MemoryMegabytes * Megabyte;
        return new CreateContainerParameters
        {
            Name = spec.Name,
            Image = spec.Image ?? (options.RuntimeImages.TryGetValue(spec.Kind, out string? image) ? image : options.RuntimeImage),
            Env = env,
            AttachStdout = true,
            AttachStderr = true,
            HostConfig = new HostConfig
            {
                NetworkMode = options.Network == DockerNetwork.Host ? "host" : "bridge",
                // memory-swap equal to memory: no swap, so the limit is the limit.
                Memory = memory,
                MemorySwap = memory,
                CPUShares = CpuShares(options.UserMemoryMegabytes, spec.MemoryMegabytes),
                PidsLimit = 1024,
                Ulimits = [new Ulimit { Name = "nofile", Soft = 1024, Hard = 1024 }],
                CapDrop = ["NET_RAW", "NET_ADMIN"],
            },
        };
    }
}
