using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Docker.DotNet;
using Docker.DotNet.Models;
using Docker.DotNet.Unix;

namespace Perf.Invoker.Containers;

/// <summary>
/// The Docker container backend (docs/architecture.md §2: Docker.DotNet.Enhanced, which runs under Native AOT):
/// containers created as OpenWhisk's invoker creates them (docs/openwhisk.md §5), named with the invoker's
/// prefix so that <see cref="RemoveLeftoversAsync"/> finds what a crashed invoker left behind.
/// </summary>
public sealed class DockerContainerFactory : IContainerFactory
{
    private readonly DockerContainerFactoryOptions _options;
    private readonly DockerClient _client;

    /// <summary>Containers started and not yet destroyed, by name, so that disposal removes every one and the sweep spares them.</summary>
    private readonly ConcurrentDictionary<string, DockerContainer> _live = new();

    public DockerContainerFactory(DockerContainerFactoryOptions options)
    {
        _options = options;
        // The Unix transport by its options type, not by the endpoint's scheme: nothing is looked up by name at run time.
        _client = new DockerClientBuilder()
            .WithEndpoint(options.Endpoint)
            .WithTransportOptions(new UnixSocketTransportOptions())
            .Build();
    }

    public int LiveCount => _live.Count;

    public async ValueTask<IContainer> CreateAsync(ContainerSpec spec, CancellationToken cancellationToken)
    {
        CreateContainerResponse created;
        try
        {
            created = await _client.Containers.CreateContainerAsync(DockerContainerParameters.For(spec, _options), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsDockerFailure(e))
        {
            throw new ContainerStartException($"Could not create container '{spec.Name}': {e.Message}", e);
        }

        DockerContainer? container = null;
        try
        {
            // Attached before it starts, so that the runtime's first line (its port) and every later one are read.
            MultiplexedStream attached = await _client.Containers.AttachContainerAsync(
                created.ID, new ContainerAttachParameters { Stream = true, Stdout = true, Stderr = true }, cancellationToken).ConfigureAwait(false);
            try
            {
                await _client.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                attached.Dispose();
                throw;
            }

            container = new DockerContainer(_client, spec.Name, created.ID, attached, MemoryLimitNote(created.Warnings), () => _live.TryRemove(spec.Name, out _));
            _live[spec.Name] = container;
            container.EndPoint = _options.Network == DockerNetwork.Host
                ? new IPEndPoint(IPAddress.Loopback, await container.WaitForPortAsync(_options.StartTimeout, cancellationToken).ConfigureAwait(false))
                : await BridgeEndPointAsync(created.ID, cancellationToken).ConfigureAwait(false);
            return container;
        }
        catch (Exception e)
        {
            if (container is not null)
            {
                await container.DestroyAsync().ConfigureAwait(false);
            }
            else
            {
                await RemoveQuietlyAsync(_client, created.ID).ConfigureAwait(false);
            }

            if (IsDockerFailure(e))
            {
                throw new ContainerStartException($"Could not start container '{spec.Name}': {e.Message}", e);
            }

            throw;
        }
    }

    private async Task<EndPoint> BridgeEndPointAsync(string id, CancellationToken cancellationToken)
    {
        ContainerInspectResponse inspected = await _client.Containers.InspectContainerAsync(id, cancellationToken).ConfigureAwait(false);
        string? address = inspected.NetworkSettings?.Networks?.Values.Select(n => n.IPAddress).FirstOrDefault(a => !string.IsNullOrEmpty(a));
        return IPAddress.TryParse(address, out IPAddress? ip)
            ? new IPEndPoint(ip, DockerContainerParameters.BridgePort)
            : throw new ContainerStartException($"Container {inspected.Name} has no network address.");
    }

    // Docker warns instead of failing when the kernel cannot limit memory; the activations' logs then say so, as with process containers.
    private static string? MemoryLimitNote(IList<string>? warnings) =>
        warnings?.FirstOrDefault(w => w.Contains("memory", StringComparison.OrdinalIgnoreCase)) is { } warning
            ? $"memory limit not applied: {warning}"
            : null;

    public async ValueTask RemoveLeftoversAsync(CancellationToken cancellationToken)
    {
        // Docker's name filter is a regular expression over names with a leading slash; the prefix check below is exact.
        string prefix = "/" + _options.NamePrefix;
        IList<ContainerListResponse> all = await _client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["name"] = new Dictionary<string, bool> { ["^" + System.Text.RegularExpressions.Regex.Escape(prefix)] = true },
            },
        }, cancellationToken).ConfigureAwait(false);
        foreach (ContainerListResponse leftover in all)
        {
            string? name = leftover.Names?.FirstOrDefault(n => n.StartsWith(prefix, StringComparison.Ordinal));
            if (name is not null && !_live.ContainsKey(name[1..]))
            {
                await RemoveQuietlyAsync(_client, leftover.ID).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (DockerContainer container in _live.Values)
        {
            await container.DestroyAsync().ConfigureAwait(false);
        }

        _client.Dispose();
    }

    /// <summary>
    /// Force-removes a container (a paused one too). True when it is gone or going; false when the daemon
    /// could not remove it, which is left to the next start's leftover sweep rather than thrown at a caller
    /// that is cleaning up.
    /// </summary>
    internal static async Task<bool> RemoveQuietlyAsync(IDockerClient client, string id)
    {
        try
        {
            await client.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true }, CancellationToken.None).ConfigureAwait(false);
            return true;
        }
        catch (DockerApiException e) when (e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
            // Gone already, or its removal is in progress.
            return true;
        }
        catch (Exception e) when (IsDockerFailure(e))
        {
            return false;
        }
    }

    /// <summary>The ways a call to the daemon fails: an API error, or the socket.</summary>
    internal static bool IsDockerFailure(Exception e) => e is DockerApiException or HttpRequestException or IOException or SocketException;
}
