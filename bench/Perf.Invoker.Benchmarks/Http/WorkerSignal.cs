using System.Threading.Tasks.Sources;

namespace Perf.Invoker.Benchmarks.Http;

/// <summary>
/// Wakes one long-lived benchmark worker for an invocation (true) or ends it (false). Workers that live
/// across invocations keep the harness from allocating a task per worker per invocation, which
/// MemoryDiagnoser would otherwise charge to the client under test.
/// </summary>
internal sealed class WorkerSignal : IValueTaskSource<bool>
{
    private ManualResetValueTaskSourceCore<bool> _core;

    public ValueTask<bool> WaitAsync() => new(this, _core.Version);

    public void Set(bool run) => _core.SetResult(run);

    bool IValueTaskSource<bool>.GetResult(short token)
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

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
