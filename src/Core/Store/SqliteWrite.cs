using System.Collections.Concurrent;
using System.Threading.Tasks.Sources;

namespace Perf.Invoker.Store;

/// <summary>
/// One write waiting for the database's group commit (<see cref="SqliteDatabase"/>): it runs inside the batch's
/// transaction and its caller learns the outcome only once that transaction has committed.
/// </summary>
internal abstract class SqliteWrite
{
    /// <summary>
    /// True for a write whose operation has effects outside the database (a cache updated in commit order): it runs
    /// alone, in its own autocommit transaction, so that nothing it did can be rolled back after it ran.
    /// </summary>
    public bool Alone { get; protected set; }

    /// <summary>Runs the operation on the writer connection; remembers its result or exception (thrown ones are not lost).</summary>
    public abstract void Execute(SqliteSession session);

    /// <summary>Forgets the outcome of <see cref="Execute"/>: its transaction was rolled back, and it will run again.</summary>
    public abstract void Undo();

    /// <summary>True when <see cref="Execute"/> ended in an exception.</summary>
    public abstract bool Faulted { get; }

    /// <summary>Fails the write without running it.</summary>
    public abstract void Fail(Exception exception);

    /// <summary>Hands the outcome to the caller (its continuation runs on the thread pool, never on the writer).</summary>
    public abstract void Complete();
}

/// <summary>A pooled <see cref="SqliteWrite"/> for one operation type; awaited through <see cref="IValueTaskSource{TResult}"/>, so a write allocates nothing.</summary>
internal sealed class SqliteWrite<TState, TResult> : SqliteWrite, IValueTaskSource<TResult>
{
    /// <summary>Idle instances kept per closed type: enough for every write of a busy batch, few enough to be nothing in memory.</summary>
    private const int MaxPooled = 1024;

    private static readonly IdleWrites s_idle = new();

    private ManualResetValueTaskSourceCore<TResult> _core = new() { RunContinuationsAsynchronously = true };

    private TState _state = default!;

    private Func<SqliteSession, TState, TResult> _operation = null!;

    private CancellationToken _cancellationToken;

    private TResult _result = default!;

    private Exception? _exception;

    public override bool Faulted => _exception is not null;

    public static SqliteWrite<TState, TResult> Rent(TState state, Func<SqliteSession, TState, TResult> operation, bool alone, CancellationToken cancellationToken)
    {
        SqliteWrite<TState, TResult> write = s_idle.TryTake() ?? new SqliteWrite<TState, TResult>();

        write._state = state;
        write._operation = operation;
        write.Alone = alone;
        write._cancellationToken = cancellationToken;
        return write;
    }

    public ValueTask<TResult> Task => new(this, _core.Version);

    public override void Execute(SqliteSession session)
    {
        try
        {
            // A caller that gave up while its write was queued gets its cancellation; a write that ran is not undone.
            _cancellationToken.ThrowIfCancellationRequested();
            _result = _operation(session, _state);
        }
        catch (Exception e)
        {
            // A full or read-only disk is told apart from a failing statement: callers answer it and retry it differently.
            _exception = StoreUnavailableException.Classify(e);
        }
    }

    public override void Undo()
    {
        _result = default!;
        _exception = null;
    }

    public override void Fail(Exception exception) => _exception = exception;

    public override void Complete()
    {
        if (_exception is { } exception)
        {
            _core.SetException(exception);
        }
        else
        {
            _core.SetResult(_result);
        }
    }

    public TResult GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Return();
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void Return()
    {
        _core.Reset();
        _state = default!;
        _operation = null!;
        _result = default!;
        _exception = null;
        _cancellationToken = default;
        s_idle.Add(this);
    }

    /// <summary>The idle instances, at most <see cref="MaxPooled"/>.</summary>
    private sealed class IdleWrites
    {
        private readonly ConcurrentQueue<SqliteWrite<TState, TResult>> _writes = new();

        private int _count;

        public SqliteWrite<TState, TResult>? TryTake()
        {
            if (!_writes.TryDequeue(out SqliteWrite<TState, TResult>? write))
            {
                return null;
            }

            Interlocked.Decrement(ref _count);
            return write;
        }

        public void Add(SqliteWrite<TState, TResult> write)
        {
            if (Interlocked.Increment(ref _count) <= MaxPooled)
            {
                _writes.Enqueue(write);
            }
            else
            {
                Interlocked.Decrement(ref _count);
            }
        }
    }
}
