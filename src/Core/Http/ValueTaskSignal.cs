using System.Threading.Tasks.Sources;

namespace Perf.Invoker.Http;

/// <summary>
/// A reusable one-shot signal: one waiter, one <see cref="Set"/> per round, rearmed when the waiter takes
/// the value. Continuations run inline on the thread that sets it, so hand-offs cost no thread hop and
/// no allocation.
/// </summary>
internal sealed class ValueTaskSignal<T> : IValueTaskSource<T>
{
    /// <summary>The current round; reset by <see cref="IValueTaskSource{T}.GetResult"/>, so a round's value is taken once.</summary>
    private ManualResetValueTaskSourceCore<T> _core;

    public ValueTask<T> WaitAsync() => new(this, _core.Version);

    public void Set(T value) => _core.SetResult(value);

    T IValueTaskSource<T>.GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            _core.Reset();
        }
    }

    ValueTaskSourceStatus IValueTaskSource<T>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<T>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
