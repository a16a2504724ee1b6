using System.Globalization;
using System.Text;
using Perf.Invoker.Containers;

namespace Perf.Invoker.Logs;

/// <summary>
/// The log lines of one activation, as OpenWhisk stores them (<c>"2024-05-31T16:08:37.200000000Z stdout: text"</c>),
/// capped at the action's log limit. Complete once the runtime has ended the activation on both streams.
/// </summary>
public sealed class ActivationLogs
{
    /// <summary>OpenWhisk's note when an activation's logs exceed its limit, word for word.</summary>
    public static string TruncationNote(long limitBytes) =>
        $"Logs were truncated because the total bytes size exceeds the limit of {limitBytes} bytes.";

    /// <summary>What the record says for a concurrent action on a runtime that does not tag its lines.</summary>
    public const string NotCollectedNote = "Logs not collected: concurrency > 1 and the runtime does not tag its lines.";

    private readonly object _gate = new();
    private readonly List<string> _lines = [];
    private readonly long _limitBytes;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>UTF-8 bytes of line text kept so far; ≤ _limitBytes.</summary>
    private long _bytes;

    /// <summary>Set once a line did not fit; later lines are dropped.</summary>
    private bool _truncated;

    /// <summary>Streams whose sentinel for this activation has been read (bit 0 stdout, bit 1 stderr).</summary>
    private int _endedStreams;

    internal ActivationLogs(long limitBytes) => _limitBytes = limitBytes;

    /// <summary>Completes when both streams have ended this activation, or the runtime's output has ended.</summary>
    public Task Completion => _completion.Task;

    public bool IsTruncated => _truncated;

    internal void Add(OutputLine line, ReadOnlySpan<char> text)
    {
        lock (_gate)
        {
            if (_truncated)
            {
                return;
            }

            int bytes = Encoding.UTF8.GetByteCount(text);
            if (_bytes + bytes > _limitBytes)
            {
                _truncated = true;
                return;
            }

            _bytes += bytes;
            _lines.Add(Format(line, text));
        }
    }

    /// <summary>Marks one stream as ended for this activation; true when both now are.</summary>
    internal bool EndStream(OutputStream stream)
    {
        int ended = Interlocked.Or(ref _endedStreams, 1 << (int)stream) | (1 << (int)stream);
        if (ended == 3)
        {
            _completion.TrySetResult();
            return true;
        }

        return false;
    }

    internal void Abandon() => _completion.TrySetResult();

    internal void AddNote(string note)
    {
        lock (_gate)
        {
            _lines.Add(note);
        }
    }

    /// <summary>The lines collected so far, with the truncation note last when the limit was hit.</summary>
    public string[] ToArray()
    {
        lock (_gate)
        {
            return _truncated ? [.. _lines, TruncationNote(_limitBytes)] : [.. _lines];
        }
    }

    private static string Format(OutputLine line, ReadOnlySpan<char> text) => string.Create(CultureInfo.InvariantCulture,
        $"{line.Time.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fffffff}00Z {(line.Stream == OutputStream.Stdout ? "stdout" : "stderr")}: {text}");
}
