using System.Globalization;

namespace Perf.Invoker.Containers;

/// <summary>What the invoker reads from a runtime's own output lines, whatever runs it (a process or a container).</summary>
internal static class RuntimeOutput
{
    private const string ListeningAnnouncement = "OW_RUNTIME_LISTENING ";

    /// <summary>
    /// The port in the runtime's first stdout line with <c>OW_RUNTIME_PORT=0</c>: <c>OW_RUNTIME_LISTENING &lt;port&gt;</c>,
    /// or <c>- OW_RUNTIME_LISTENING &lt;port&gt;</c> in the tagged log modes (runtimes/nodejs/README.md).
    /// </summary>
    public static bool TryReadPort(string line, out int port)
    {
        int at = line.IndexOf(ListeningAnnouncement, StringComparison.Ordinal);
        port = 0;
        return at is 0 or 2 && int.TryParse(line.AsSpan(at + ListeningAnnouncement.Length), NumberStyles.None, CultureInfo.InvariantCulture, out port);
    }

    /// <summary>V8's report on stderr that the heap limit was hit: the action exhausted its memory.</summary>
    public static bool IsHeapExhausted(string line) => line.Contains("JavaScript heap out of memory", StringComparison.Ordinal);
}
