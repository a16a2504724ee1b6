using System.Globalization;

namespace Perf.Invoker.Containers;

/// <summary>
/// A memory cgroup for one runtime process, where the machine lets us make one: cgroup v2 when its
/// memory controller is enabled for us, else v1's memory hierarchy, both below the invoker's own
/// cgroup. Otherwise <see cref="TryCreate"/> says why not, and the activation records that no limit
/// was applied (an honest record beats a silent one).
/// </summary>
internal sealed class MemoryCgroup
{
    private const string Root = "/sys/fs/cgroup";

    /// <summary>The cgroup's directory; removed by <see cref="Delete"/> once its process has exited.</summary>
    private readonly string _path;

    /// <summary>v1 and v2 name their files differently.</summary>
    private readonly bool _v2;

    private MemoryCgroup(string path, bool v2)
    {
        _path = path;
        _v2 = v2;
    }

    public static MemoryCgroup? TryCreate(string name, long limitBytes, out string? whyNot)
    {
        try
        {
            foreach ((string parent, bool v2) in Candidates())
            {
                if (!Directory.Exists(parent) && !TryCreateDirectory(parent))
                {
                    continue;
                }

                string path = Path.Combine(parent, name);
                if (!TryCreateDirectory(path))
                {
                    continue;
                }

                var cgroup = new MemoryCgroup(path, v2);
                File.WriteAllText(Path.Combine(path, v2 ? "memory.max" : "memory.limit_in_bytes"), limitBytes.ToString(CultureInfo.InvariantCulture));
                if (!v2)
                {
                    // Without swap accounting a v1 limit can be evaded by swapping; set it where the kernel offers it.
                    TryWrite(Path.Combine(path, "memory.memsw.limit_in_bytes"), limitBytes.ToString(CultureInfo.InvariantCulture));
                }

                whyNot = null;
                return cgroup;
            }

            whyNot = "memory limit not applied: no writable memory cgroup on this machine";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            whyNot = $"memory limit not applied: {e.Message}";
        }

        return null;
    }

    private static IEnumerable<(string Parent, bool V2)> Candidates()
    {
        // /proc/self/cgroup: "0::/path" for v2, "N:memory:/path" for v1's memory hierarchy.
        foreach (string line in File.ReadLines("/proc/self/cgroup"))
        {
            string[] parts = line.Split(':', 3);
            if (parts.Length != 3)
            {
                continue;
            }

            if (parts[0] == "0" && File.Exists(Path.Combine(Root, "cgroup.controllers")) &&
                File.ReadAllText(Path.Combine(Root + parts[2], "cgroup.subtree_control")).Contains("memory", StringComparison.Ordinal))
            {
                yield return (Path.Combine(Root + parts[2], "perf-invoker"), true);
            }
            else if (parts[1].Split(',').Contains("memory") && Directory.Exists(Path.Combine(Root, "memory")))
            {
                yield return (Path.Combine(Root, "memory" + parts[2], "perf-invoker"), false);
            }
        }
    }

    public void Add(int pid) => File.WriteAllText(Path.Combine(_path, "cgroup.procs"), pid.ToString(CultureInfo.InvariantCulture));

    /// <summary>True when the kernel killed a process of this cgroup for exceeding the limit.</summary>
    public bool HadOutOfMemoryKill()
    {
        try
        {
            string events = File.ReadAllText(Path.Combine(_path, _v2 ? "memory.events" : "memory.oom_control"));
            foreach (string line in events.Split('\n'))
            {
                if (line.StartsWith("oom_kill ", StringComparison.Ordinal) && line.AsSpan(9).Trim() is var count && !count.SequenceEqual("0"))
                {
                    return true;
                }
            }
        }
        catch (IOException)
        {
        }

        return false;
    }

    public void Delete()
    {
        try
        {
            Directory.Delete(_path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A cgroup with a process still in it cannot go; the sweep at the next start removes it.
        }
    }

    private static bool TryCreateDirectory(string path)
    {
        try
        {
            Directory.CreateDirectory(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static void TryWrite(string path, string value)
    {
        try
        {
            File.WriteAllText(path, value);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
