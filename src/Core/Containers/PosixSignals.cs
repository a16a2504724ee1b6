using System.Runtime.InteropServices;

namespace Perf.Invoker.Containers;

/// <summary>kill(2), for pausing and resuming runtime processes (SIGSTOP / SIGCONT), which System.Diagnostics.Process does not offer.</summary>
internal static partial class PosixSignals
{
    public const int SigStop = 19;
    public const int SigCont = 18;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    /// <summary>Sends a signal; false when the process is gone.</summary>
    public static bool Send(int pid, int signal) => Kill(pid, signal) == 0;
}
