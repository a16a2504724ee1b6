using System.Diagnostics;
using Docker.DotNet;
using Docker.DotNet.Unix;

namespace Perf.Invoker.Tests.Containers;

/// <summary>The action runtime image of the Docker tests, built offline once per test run (docker/build-nodejs-image.sh), and a client to look at containers.</summary>
internal static class DockerTestImages
{
    public const string NodeRuntime = "perf-invoker-nodejs:test";

    private static readonly Lazy<Task> s_built = new(BuildAsync);

    /// <summary>Builds the image on first use, from this checkout's runtimes/nodejs, so a test never runs a stale runtime.</summary>
    public static Task EnsureBuiltAsync() => s_built.Value;

    public static DockerClient NewClient() => new DockerClientBuilder()
        .WithEndpoint(new Uri("unix://" + DockerFactAttribute.Socket))
        .WithTransportOptions(new UnixSocketTransportOptions())
        .Build();

    private static async Task BuildAsync()
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repository.Root };
        start.ArgumentList.Add(Path.Combine(Repository.Root, "docker", "build-nodejs-image.sh"));
        start.ArgumentList.Add(NodeRuntime);
        using Process build = Process.Start(start)!;
        Task<string> output = build.StandardOutput.ReadToEndAsync();
        Task<string> errors = build.StandardError.ReadToEndAsync();
        await build.WaitForExitAsync();
        if (build.ExitCode != 0)
        {
            throw new InvalidOperationException($"docker/build-nodejs-image.sh failed ({build.ExitCode}): {await output}{await errors}");
        }
    }
}
