using System.Threading.Tasks.Sources;

namespace Perf.Invoker.Feed;

/// <summary>
/// The feed's peek window: a count of credits in use, one per activation between dispatch and completion, and one
/// waiter (the feed's poll loop) that sleeps while all are in use. Taking and returning a credit is one interlocked
/// instruction and allocates nothing; the waiter is a reusable <see cref="IValueTaskSource"/>.
/// </summary>
/// <remarks>
/// The loop waits for a credit to be <em>free</em>, receives, and only then takes it, so a credit is never held by a
/// receive that has not produced an activation yet: credits in use equal activations in flight (docs/architecture.md §3
/// invariant 2). Only the loop takes credits, so a free credit cannot be taken by someone else in between.
/// <para>A wake is a hint, not a credit: a <see cref="Return"/> decrements, then swaps the waiter flag, and between the
/// two the loop may see the freed credit without sleeping, use it, and arm again; the late swap then wakes that later
/// wait while the window is full. So the loop re-checks <see cref="HasFree"/> after every wake and sleeps again if it
/// must (seen under load as a credit taken beyond the window, which <see cref="Take"/> refuses).</para>
/// </remarks>
internal sealed class CreditWindow : IValueTaskSource
{
    /// <summary>Credits in use: <c>0 ≤ _inUse ≤ Capacity</c>.</summary>
    private int _inUse;

    /// <summary>1 while the loop sleeps in <see cref="WaitForFreeAsync"/>; whoever swaps it back to 0 completes the wait, exactly once.</summary>
    private int _waiterArmed;

    /// <summary>1 once the loop's token is cancelled (<see cref="Cancel"/>); final.</summary>
    private int _cancelled;

    /// <summary>Set by the drain at shutdown; completed when <see cref="_inUse"/> reaches 0.</summary>
    private TaskCompletionSource? _drained;

    /// <summary>The loop's wait; continuations run on the thread pool, never inline on the completing activation's thread.</summary>
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };

    public CreditWindow(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    public int Capacity { get; }

    public int InUse => Volatile.Read(ref _inUse);

    /// <summary>A credit is free for the loop to take after its next receive.</summary>
    public bool HasFree => Volatile.Read(ref _inUse) < Capacity;

    /// <summary>The poll loop sleeps because every credit is in use.</summary>
    public bool IsWaiting => Volatile.Read(ref _waiterArmed) != 0;

    /// <summary>
    /// Completes when a credit is free, or may be: the caller re-checks <see cref="HasFree"/> (see the remarks). Only
    /// the poll loop calls it, one call at a time.
    /// </summary>
    /// <exception cref="OperationCanceledException">After <see cref="Cancel"/>.</exception>
    public ValueTask WaitForFreeAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _inUse) < Capacity)
        {
            return default;
        }

        short version = _core.Version;
        Interlocked.Exchange(ref _waiterArmed, 1);
        // Re-check after arming (both sides use full fences): a release or cancel that ran before the arm is seen here,
        // one that runs after it sees the arm and completes the wait.
        if (Volatile.Read(ref _inUse) < Capacity || Volatile.Read(ref _cancelled) != 0)
        {
            if (Interlocked.Exchange(ref _waiterArmed, 0) == 1)
            {
                cancellationToken.ThrowIfCancellationRequested();
                return default;
            }

            // Lost the race to a release or cancel that is completing the wait right now: take its signal.
        }

        return new ValueTask(this, version);
    }

    /// <summary>Takes a free credit for a message just received.</summary>
    public void Take()
    {
        int inUse = Interlocked.Increment(ref _inUse);
        if (inUse > Capacity)
        {
            Interlocked.Decrement(ref _inUse);
            FeedUsageErrors.ThrowWindowFull();
        }
    }

    /// <summary>Returns one credit taken by <see cref="Take"/>; wakes the loop if it waits.</summary>
    public void Return() => Wake(Free());

    /// <summary>The first half of <see cref="Return"/>: gives the credit back; says how many stay in use.</summary>
    /// <remarks>Apart from <see cref="Wake"/> only so that a test can put a loop iteration between the two (the remarks above).</remarks>
    internal int Free()
    {
        int inUse = Interlocked.Decrement(ref _inUse);
        if (inUse < 0)
        {
            Interlocked.Increment(ref _inUse);
            FeedUsageErrors.ThrowCreditNotTaken();
        }

        return inUse;
    }

    /// <summary>The second half of <see cref="Return"/>: wakes the loop if it waits, and the drain once none is in use.</summary>
    internal void Wake(int inUse)
    {
        if (Volatile.Read(ref _waiterArmed) != 0 && Interlocked.Exchange(ref _waiterArmed, 0) == 1)
        {
            _core.SetResult(true);
        }

        if (inUse == 0 && Volatile.Read(ref _drained) is { } drained)
        {
            drained.TrySetResult();
        }
    }

    /// <summary>Wakes a waiting loop with <see cref="OperationCanceledException"/>; later waits throw it at once.</summary>
    public void Cancel()
    {
        Interlocked.Exchange(ref _cancelled, 1);
        if (Interlocked.Exchange(ref _waiterArmed, 0) == 1)
        {
            _core.SetException(new OperationCanceledException("The feed is stopping."));
        }
    }

    /// <summary>Completes when no credit is in use (every dispatched activation completed). Called once, at shutdown.</summary>
    public Task WaitForDrainAsync()
    {
        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _drained, drained);
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _inUse) == 0)
        {
            drained.TrySetResult();
        }

        return drained.Task;
    }

    void IValueTaskSource.GetResult(short token)
    {
        try
        {
            _core.GetResult(token);
        }
        finally
        {
            _core.Reset();
        }
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
