using System.Threading.Channels;
using Perf.Invoker.Containers;
using Perf.Invoker.Model;

namespace Perf.Invoker.Logs;

/// <summary>
/// Reads one container's output and attributes every line to its activation (docs/architecture.md §3,
/// invariant 6). Tagged runtimes name the activation on every line, so overlapping activations are
/// told apart; OpenWhisk's sentinel format only delimits activations that run one after another, so
/// with it each stream walks a FIFO of activations, moving on at each sentinel.
/// </summary>
public sealed class ActivationLogCollector
{
    /// <summary>The sentinel line OpenWhisk's runtimes write after each activation (docs/openwhisk.md §5).</summary>
    public const string Sentinel = "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX";

    private readonly LogFormat _format;
    private readonly object _gate = new();

    /// <summary>Tagged format: activations in flight by id.</summary>
    private readonly Dictionary<ActivationId, ActivationLogs> _byId = [];

    /// <summary>Sentinel format: activations in the order they began; each stream's cursor is its index of the first not yet ended on it.</summary>
    private readonly List<ActivationLogs> _queue = [];

    /// <summary>Sentinel format: per stream, how many queue entries that stream has ended.</summary>
    private readonly int[] _cursor = new int[2];

    /// <summary>Set when the runtime's output has ended: later activations get nothing to wait for.</summary>
    private bool _ended;

    public ActivationLogCollector(ChannelReader<OutputLine> output, LogFormat format)
    {
        _format = format;
        Pump = PumpAsync(output);
    }

    /// <summary>Completes when the runtime's output has ended.</summary>
    public Task Pump { get; }

    /// <summary>Lines no activation could claim (untagged output, late lines of finished activations).</summary>
    public long UnattributedLines { get; private set; }

    /// <summary>Starts collecting for an activation; call before its /run is sent.</summary>
    public ActivationLogs Begin(ActivationId id, long limitBytes)
    {
        var logs = new ActivationLogs(limitBytes);
        lock (_gate)
        {
            switch (_format)
            {
                case LogFormat.NotCollected:
                    logs.AddNote(ActivationLogs.NotCollectedNote);
                    logs.Abandon();
                    return logs;
                case LogFormat.Tagged:
                    _byId[id] = logs;
                    break;
                default:
                    _queue.Add(logs);
                    break;
            }

            if (_ended)
            {
                logs.Abandon();
            }
        }

        return logs;
    }

    /// <summary>Stops attributing lines to an activation (after its logs were taken).</summary>
    public void End(ActivationId id, ActivationLogs logs)
    {
        lock (_gate)
        {
            if (_format == LogFormat.Tagged)
            {
                _byId.Remove(id);
            }

            // Sentinel format: the entry stays queued until both streams pass its sentinel, because the
            // lines before that sentinel are still its own.
        }

        logs.Abandon();
    }

    private async Task PumpAsync(ChannelReader<OutputLine> output)
    {
        while (await output.WaitToReadAsync().ConfigureAwait(false))
        {
            while (output.TryRead(out OutputLine line))
            {
                lock (_gate)
                {
                    if (_format == LogFormat.Tagged)
                    {
                        RouteTagged(line);
                    }
                    else if (_format == LogFormat.Sentinel)
                    {
                        RouteSentinel(line);
                    }
                }
            }
        }

        lock (_gate)
        {
            _ended = true;
            foreach (ActivationLogs logs in _byId.Values)
            {
                logs.Abandon();
            }

            foreach (ActivationLogs logs in _queue)
            {
                logs.Abandon();
            }
        }
    }

    // "<id> <text>" or "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX <id>" (runtimes/nodejs/README.md).
    private void RouteTagged(OutputLine line)
    {
        ReadOnlySpan<char> text = line.Text;
        if (text.StartsWith(Sentinel + " ", StringComparison.Ordinal))
        {
            if (ActivationId.TryParse(text[(Sentinel.Length + 1)..], out ActivationId ended) && _byId.TryGetValue(ended, out ActivationLogs? endedLogs))
            {
                endedLogs.EndStream(line.Stream);
            }

            return;
        }

        int space = text.IndexOf(' ');
        if (space == ActivationId.Length && ActivationId.TryParse(text[..space], out ActivationId id) && _byId.TryGetValue(id, out ActivationLogs? logs))
        {
            logs.Add(line, text[(space + 1)..]);
            return;
        }

        UnattributedLines++;
    }

    private void RouteSentinel(OutputLine line)
    {
        int stream = (int)line.Stream;
        if (_cursor[stream] >= _queue.Count)
        {
            UnattributedLines++;
            return;
        }

        ActivationLogs current = _queue[_cursor[stream]];
        if (line.Text == Sentinel)
        {
            current.EndStream(line.Stream);
            _cursor[stream]++;
            while (_cursor[0] > 0 && _cursor[1] > 0)
            {
                // Both streams are past the head: it can go.
                _queue.RemoveAt(0);
                _cursor[0]--;
                _cursor[1]--;
            }

            return;
        }

        current.Add(line, line.Text);
    }
}
