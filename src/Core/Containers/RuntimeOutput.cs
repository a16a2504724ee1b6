using System.Globalization;
using System.Threading.Channels;

namespace Perf.Invoker.Containers;

/// <summary>
/// A runtime's output lines as every container kind (a process, a Docker container) hands them on: the port
/// announcement is taken out, V8's out-of-heap report is noted, every other line goes to the log collector.
/// </summary>
internal sealed class RuntimeOutput
{
    private const string ListeningAnnouncement = "OW_RUNTIME_LISTENING ";

    /// <summary>Several writers: a process has one pump per stream.</summary>
    private readonly Channel<OutputLine> _lines = Channel.CreateUnbounded<OutputLine>(new UnboundedChannelOptions { SingleWriter = false, SingleReader = true });

    private readonly TaskCompletionSource<int> _port = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private volatile bool _heapExhausted;

    public ChannelReader<OutputLine> Lines => _lines.Reader;

    /// <summary>Completes with the port the runtime announced as its first stdout line (with <c>OW_RUNTIME_PORT=0</c>).</summary>
    public Task<int> Port => _port.Task;

    /// <summary>The runtime reported that V8 ran out of heap: the action exhausted its memory.</summary>
    public bool HeapExhausted => _heapExhausted;

    public void Deliver(OutputStream stream, string line)
    {
        if (!_port.Task.IsCompleted && stream == OutputStream.Stdout && TryReadPort(line, out int port))
        {
            _port.TrySetResult(port);
            return;
        }

        if (stream == OutputStream.Stderr && line.Contains("JavaScript heap out of memory", StringComparison.Ordinal))
        {
            _heapExhausted = true;
        }

        _lines.Writer.TryWrite(new OutputLine(stream, line, DateTimeOffset.UtcNow));
    }

    /// <summary>The runtime has stopped and every line was delivered.</summary>
    public void Complete() => _lines.Writer.TryComplete();

    /// <summary>
    /// <c>OW_RUNTIME_LISTENING &lt;port&gt;</c>, or <c>- OW_RUNTIME_LISTENING &lt;port&gt;</c> in the tagged log modes
    /// (runtimes/nodejs/README.md).
    /// </summary>
    private static bool TryReadPort(string line, out int port)
    {
        int at = line.IndexOf(ListeningAnnouncement, StringComparison.Ordinal);
        port = 0;
        return at is 0 or 2 && int.TryParse(line.AsSpan(at + ListeningAnnouncement.Length), NumberStyles.None, CultureInfo.InvariantCulture, out port);
    }
}
