using System.Diagnostics;

namespace Perf.Invoker.Tests.Reliability;

/// <summary>
/// A small tmpfs mounted as an invoker's data directory, so that a test can fill its disk and give the space back, or
/// make it read-only while no invoker has it open. Needs root (<see cref="RootTheoryAttribute"/>); unmounted on disposal.
/// </summary>
internal sealed class TmpfsDataDirectory : IDisposable
{
    private TmpfsDataDirectory(string path) => Path = path;

    public string Path { get; }

    private string Filler => System.IO.Path.Combine(Path, "filler");

    public static TmpfsDataDirectory Mount(int megabytes)
    {
        string path = Directory.CreateTempSubdirectory("invoker-tmpfs-").FullName;
        Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", path);
        return new TmpfsDataDirectory(path);
    }

    /// <summary>Takes every free byte, as another program filling the disk would.</summary>
    public void Fill()
    {
        using var filler = new FileStream(Filler, FileMode.Append, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        byte[] chunk = new byte[64 * 1024];
        try
        {
            while (true)
            {
                filler.Write(chunk);
                filler.Flush();
            }
        }
        catch (IOException)
        {
            // ENOSPC: full. Write what fits of a smaller chunk too, to the last page.
            for (int size = 32 * 1024; size >= 512; size /= 2)
            {
                try
                {
                    filler.Write(chunk, 0, size);
                    filler.Flush();
                }
                catch (IOException)
                {
                }
            }
        }
    }

    /// <summary>The space comes back.</summary>
    public void Free() => File.Delete(Filler);

    /// <summary>Remounts read-only (fails while a process holds a file open for writing) or read-write.</summary>
    public void Remount(bool readOnly) => Run("mount", "-o", readOnly ? "remount,ro" : "remount,rw", Path);

    public void Dispose()
    {
        // Lazy: a runtime process left by a failed test must not keep the mount (and the test host) busy.
        Run("umount", "-l", Path);
        Directory.Delete(Path);
    }

    private static void Run(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{command} {string.Join(' ', arguments)}: {errors}");
    }
}

/// <summary>A theory that mounts filesystems: skipped, with the reason, unless the tests run as root (test.sh and CI do).</summary>
public sealed class RootTheoryAttribute : TheoryAttribute
{
    public RootTheoryAttribute()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Skip = "mounting a tmpfs for the data directory needs root";
        }
    }
}
