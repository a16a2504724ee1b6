namespace Perf.Invoker.Feed;

/// <summary>
/// Whether the invoker takes new work: the operator's switch behind <c>POST /invoker/enable|disable</c>. While it
/// is off, every <see cref="MessageFeed"/> given it stops polling its source (as with a full window) and lets what
/// runs finish, and the health pinger says <c>isEnabled: false</c> (docs/openwhisk.md §3), so controllers stop sending.
/// </summary>
public sealed class InvokerSwitch
{
    private readonly Lock _gate = new();

    /// <summary>Null while enabled; while disabled, completed (and replaced by null) by the next <see cref="Enable"/>.</summary>
    private volatile TaskCompletionSource? _enabled;

    public bool IsEnabled => _enabled is null;

    /// <summary>Stops new work from now on; idempotent.</summary>
    public void Disable()
    {
        lock (_gate)
        {
            _enabled ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Lets waiting feeds go on; idempotent.</summary>
    public void Enable()
    {
        TaskCompletionSource? waiting;
        lock (_gate)
        {
            waiting = _enabled;
            _enabled = null;
        }

        waiting?.TrySetResult();
    }

    /// <summary>
    /// Completes at once while enabled (no allocation: the feed asks before every message); otherwise when enabled, or
    /// with <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public ValueTask WaitForEnabledAsync(CancellationToken cancellationToken) =>
        _enabled is { } waiting ? new ValueTask(waiting.Task.WaitAsync(cancellationToken)) : default;
}
