using System.Net.Sockets;

namespace Perf.Invoker.Tests.Containers;

/// <summary>
/// A test that needs a running dockerd (docs/architecture.md §2, Docker in tests). Skipped with the reason where no
/// daemon answers on /var/run/docker.sock (a developer without root); never skipped under CI, where
/// test.sh starts the daemon, so that a missing daemon fails instead of passing unnoticed.
/// </summary>
public sealed class DockerFactAttribute : FactAttribute
{
    public const string Socket = "/var/run/docker.sock";

    private static readonly Lazy<string?> s_unavailable = new(FindWhyUnavailable);

    public DockerFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("CI") != "true" && s_unavailable.Value is { } reason)
        {
            Skip = reason;
        }
    }

    private static string? FindWhyUnavailable()
    {
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(Socket));
            return null;
        }
        catch (SocketException e)
        {
            return $"no Docker daemon answers on {Socket} ({e.Message}); test.sh starts one when run as root";
        }
    }
}
