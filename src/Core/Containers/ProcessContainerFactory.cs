using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Perf.Invoker.Containers;

/// <summary>
/// The embedded container backend: each container is a <c>runtimes/nodejs</c> child process on its
/// own loopback port (the runtime picks a free one and announces it, so there is no port race).
/// Processes carry an owner tag in their environment; <see cref="RemoveLeftoversAsync"/> kills every
/// tagged process, so a crashed invoker leaves nothing running after its restart.
/// </summary>
public sealed class ProcessContainerFactory(ProcessContainerFactoryOptions options) : IContainerFactory
{
    /// <summary>The environment variable that marks our runtime processes; its value is the owner tag.</summary>
    internal const string OwnerVariable = "PERF_INVOKER_OWNER";

    /// <summary>Containers started and not yet destroyed, so that disposal kills every one.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ProcessContainer> _live = new();

    public int LiveCount => _live.Count;

    public async ValueTask<IContainer> CreateAsync(ContainerSpec spec, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(options.NodePath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = options.RuntimeDirectory,
        };
        // The V8 heap is the bulk of a Node.js runtime's memory: capping it makes a runaway action fail
        // as "exhausted its memory" even where no cgroup can be made.
        start.ArgumentList.Add($"--max-old-space-size={Math.Max(spec.MemoryMegabytes, 16)}");
        start.ArgumentList.Add(options.RuntimeDirectory);
        // An action sees what a container would give it, not the invoker's own environment (keys, tokens).
        start.Environment.Clear();
        start.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        start.Environment["TMPDIR"] = Path.GetTempPath();
        if (options.ApiHost.Length > 0)
        {
            start.Environment["__OW_API_HOST"] = options.ApiHost;
        }

        foreach (var (key, value) in spec.Environment)
        {
            start.Environment[key] = value;
        }

        start.Environment["OW_RUNTIME_HOST"] = "127.0.0.1";
        start.Environment["OW_RUNTIME_PORT"] = "0";
        start.Environment[OwnerVariable] = options.OwnerTag;
        if (spec.Concurrency > 1)
        {
            start.Environment["__OW_ALLOW_CONCURRENT"] = "true";
            start.Environment["OW_LOG_MODE"] = options.ConcurrentLogMode;
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new ContainerStartException($"Could not start '{options.NodePath}'.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ContainerStartException($"Could not start '{options.NodePath}': {e.Message}", e);
        }

        MemoryCgroup? cgroup = MemoryCgroup.TryCreate($"{spec.Name}", (long)spec.MemoryMegabytes << 20, out string? memoryNote);
        if (cgroup is not null)
        {
            try
            {
                cgroup.Add(process.Id);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                memoryNote = $"memory limit not applied: {e.Message}";
                cgroup.Delete();
                cgroup = null;
            }
        }

        var container = new ProcessContainer(spec.Name, process, cgroup, memoryNote, () => _live.TryRemove(spec.Name, out _));
        _live[spec.Name] = container;
        try
        {
            int port = await container.WaitForPortAsync(options.StartTimeout, cancellationToken).ConfigureAwait(false);
            container.EndPoint = new IPEndPoint(IPAddress.Loopback, port);
            return container;
        }
        catch
        {
            await container.DestroyAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask RemoveLeftoversAsync(CancellationToken cancellationToken)
    {
        string marker = $"{OwnerVariable}={options.OwnerTag}";
        var killed = new List<int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                // environ is NUL-separated; only processes of our own user are readable, which is all we may kill anyway.
                string environ = File.ReadAllText(Path.Combine(dir, "environ"));
                if (environ.Split('\0').Contains(marker) && !_live.Values.Any(c => c.ProcessId == pid))
                {
                    using var leftover = Process.GetProcessById(pid);
                    leftover.Kill(entireProcessTree: true);
                    killed.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
            {
                // Gone meanwhile, or not ours to read.
            }
        }

        // Gone before the caller goes on: their memory is free, and nothing they had been sent runs any more. All are
        // waited for together, and a zombie counts as gone: it runs nothing and holds no memory, and its reaping is its
        // parent's business (a crashed invoker's orphans go to an init that may never reap them: waiting for their exit
        // then took the whole timeout, once per leftover, before the restarted invoker listened).
        long started = options.Time.GetTimestamp();
        killed.RemoveAll(IsGone);
        while (killed.Count > 0 && options.Time.GetElapsedTime(started) < options.LeftoverExitTimeout)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), options.Time, cancellationToken).ConfigureAwait(false);
            killed.RemoveAll(IsGone);
        }
    }

    /// <summary>No such process any more, or a zombie (state Z in /proc/PID/stat).</summary>
    internal static bool IsGone(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            int end = stat.LastIndexOf(')');
            return end < 0 || end + 2 >= stat.Length || stat[end + 2] is 'Z' or 'X';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (ProcessContainer container in _live.Values)
        {
            await container.DestroyAsync().ConfigureAwait(false);
        }
    }
}
