using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Perf.Invoker.Store;

/// <summary>
/// One SQLite database file in WAL mode, shared by the activation store, the action store and the durable
/// queue. Writes go through one connection, one operation at a time, so writers in this process never
/// meet SQLITE_BUSY (whose retry in Microsoft.Data.Sqlite sleeps); reads use a small pool of their own
/// connections, which WAL lets run beside the writer. The file belongs to one process.
/// </summary>
public sealed class SqliteDatabase : IDisposable
{
    /// <summary>Idle reader connections kept open; more may exist while many reads run at once.</summary>
    private const int MaxIdleReaders = 4;

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS activations(
            id TEXT NOT NULL PRIMARY KEY,
            namespace TEXT NOT NULL,
            name TEXT NOT NULL,
            start INTEGER NOT NULL,
            record BLOB NOT NULL);
        CREATE INDEX IF NOT EXISTS activations_by_namespace ON activations(namespace, start DESC);
        CREATE INDEX IF NOT EXISTS activations_by_name ON activations(namespace, name, start DESC);
        CREATE TABLE IF NOT EXISTS actions(
            namespace TEXT NOT NULL,
            name TEXT NOT NULL,
            revision INTEGER NOT NULL,
            spec BLOB NOT NULL,
            PRIMARY KEY(namespace, name)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS packages(
            namespace TEXT NOT NULL,
            name TEXT NOT NULL,
            revision INTEGER NOT NULL,
            spec BLOB NOT NULL,
            PRIMARY KEY(namespace, name)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS triggers(
            namespace TEXT NOT NULL,
            name TEXT NOT NULL,
            updated INTEGER NOT NULL,
            spec BLOB NOT NULL,
            PRIMARY KEY(namespace, name)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS rules(
            namespace TEXT NOT NULL,
            name TEXT NOT NULL,
            updated INTEGER NOT NULL,
            spec BLOB NOT NULL,
            PRIMARY KEY(namespace, name)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS alarms(
            namespace TEXT NOT NULL,
            trigger TEXT NOT NULL,
            spec BLOB NOT NULL,
            PRIMARY KEY(namespace, trigger)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS apis(
            namespace TEXT NOT NULL,
            basepath TEXT NOT NULL,
            doc BLOB NOT NULL,
            PRIMARY KEY(namespace, basepath)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS queue(
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            message BLOB NOT NULL);
        """;

    private readonly string _connectionString;

    private readonly string _synchronousPragma;

    /// <summary>Writes in one transaction at most: a batch's first caller waits for all of them, so a batch is not unbounded.</summary>
    private const int MaxBatch = 256;

    /// <summary>The only connection that writes; used only by the holder of <see cref="_writing"/>.</summary>
    private readonly SqliteSession _writer;

    /// <summary>Writes not yet run, in arrival order.</summary>
    private readonly ConcurrentQueue<SqliteWrite> _pending = new();

    /// <summary>The batch being committed; touched only by the holder of <see cref="_writing"/>.</summary>
    private readonly List<SqliteWrite> _batch = new(MaxBatch);

    /// <summary>The work item that commits batches while writes keep arriving.</summary>
    private readonly GroupCommitWorkItem _groupCommit;

    /// <summary>Transactions the group commit ran (a rolled-back batch counts once), for <see cref="Commits"/>.</summary>
    private long _commits;

    /// <summary>Writes those transactions carried, for <see cref="Writes"/>.</summary>
    private long _writes;

    /// <summary>1 while a thread commits batches (and owns <see cref="_writer"/>); Dispose takes it for good.</summary>
    private int _writing;

    /// <summary>Open reader connections not in use; at most <see cref="MaxIdleReaders"/> (approximately, counted by <see cref="_idleReaders"/>).</summary>
    private readonly ConcurrentQueue<SqliteSession> _readers = new();

    /// <summary>The number of sessions in <see cref="_readers"/>, give or take the ones being added or taken.</summary>
    private int _idleReaders;

    /// <summary>1 once <see cref="Dispose"/> has started; Dispose runs once.</summary>
    private int _disposed;

    private SqliteDatabase(string path, SqliteDurability durability)
    {
        Path = path;
        Durability = durability;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            // This type pools its own connections with their prepared statements; Dispose must really close the file.
            Pooling = false,
        }.ToString();
        _synchronousPragma = durability == SqliteDurability.PowerLoss ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;";
        _writer = OpenSession();
        _groupCommit = new GroupCommitWorkItem(this);
    }

    public string Path { get; }

    public SqliteDurability Durability { get; }

    /// <summary>Batches the writer has committed; <see cref="Writes"/> / <see cref="Commits"/> is the mean group size.</summary>
    public long Commits => Volatile.Read(ref _commits);

    /// <summary>Writes (enqueues, completions, records, action changes) the writer has run.</summary>
    public long Writes => Volatile.Read(ref _writes);

    /// <summary>Opens (creating if needed) the database at <paramref name="path"/> and its tables.</summary>
    public static SqliteDatabase Open(string path, SqliteDurability durability = SqliteDurability.ProcessCrash)
    {
        var database = new SqliteDatabase(path, durability);
        try
        {
            // SQLite opens a file it cannot write read-only without a word: the invoker would then accept work and never
            // record it. A read-only data directory is said at start instead (docs/reliability.md, disk rows).
            if (SQLitePCL.raw.sqlite3_db_readonly(database._writer.Connection.Handle, "main") == 1)
            {
                throw new IOException("it is read-only (the data directory's file system, or the file itself)");
            }

            // WAL is a property of the file (it persists); set once by the writer, before any reader opens.
            database._writer.Execute("PRAGMA journal_mode=WAL;");
            database._writer.Execute(Schema);
            return database;
        }
        catch
        {
            database.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="operation"/> on the writer connection, after every earlier write has finished, and completes
    /// once the transaction it ran in has committed. Writes that arrive while one is running are group-committed: the
    /// next batch runs them all in one transaction (one WAL append, one lock round, one fsync under
    /// <see cref="SqliteDurability.PowerLoss"/>), so the cost of a commit is shared. A write that throws, or a commit that
    /// fails, rolls its batch back and the batch's writes run again one by one, so each caller gets its own outcome.
    /// <paramref name="alone"/>: the operation changes something besides the database (see <see cref="SqliteWrite.Alone"/>).
    /// </summary>
    internal ValueTask<TResult> WriteAsync<TState, TResult>(TState state, Func<SqliteSession, TState, TResult> operation, CancellationToken cancellationToken, bool alone = false)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var write = SqliteWrite<TState, TResult>.Rent(state, operation, alone, cancellationToken);
        ValueTask<TResult> task = write.Task;
        _pending.Enqueue(write);
        if (Interlocked.CompareExchange(ref _writing, 1, 0) == 0)
        {
            // The batch is committed by a work item queued behind the thread pool's current work: whatever that work writes
            // (the other requests and completions being processed now) joins the batch. Under load the batch grows with the
            // backlog; at rest the work item runs at once. No timer, no lingering.
            ThreadPool.UnsafeQueueUserWorkItem(_groupCommit, preferLocal: false);
        }
        else if (Volatile.Read(ref _disposed) != 0)
        {
            FailPending();
        }

        return task;
    }

    /// <summary>Runs <paramref name="operation"/> on a reader connection; it sees every write committed before it started.</summary>
    internal TResult Read<TState, TResult>(TState state, Func<SqliteSession, TState, TResult> operation)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        SqliteSession session = RentReader();
        try
        {
            return operation(session, state);
        }
        finally
        {
            ReturnReader(session);
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Waits for a batch in progress, then keeps the writer for good: writes queued or arriving later fail with ObjectDisposedException.
        var spin = default(SpinWait);
        while (Interlocked.CompareExchange(ref _writing, 1, 0) != 0)
        {
            spin.SpinOnce();
        }

        FailPending();
        _writer.Dispose();
        while (_readers.TryDequeue(out SqliteSession? session))
        {
            session.Dispose();
        }
    }

    /// <summary>Commits the writes waiting now, at most <see cref="MaxBatch"/>, in one transaction. The caller holds <see cref="_writing"/>.</summary>
    private void CommitOneBatch()
    {
        while (_batch.Count < MaxBatch && _pending.TryPeek(out SqliteWrite? next))
        {
            // A write that must run alone ends the batch before it, or is a batch of its own.
            if (next.Alone && _batch.Count > 0)
            {
                break;
            }

            _pending.TryDequeue(out _);
            _batch.Add(next);
            if (next.Alone)
            {
                break;
            }
        }

        if (_batch.Count == 0)
        {
            return;
        }

        Volatile.Write(ref _commits, _commits + 1);
        Volatile.Write(ref _writes, _writes + _batch.Count);
        if (Volatile.Read(ref _disposed) != 0)
        {
            foreach (SqliteWrite write in _batch)
            {
                write.Fail(new ObjectDisposedException(nameof(SqliteDatabase)));
            }
        }
        else if (_batch.Count == 1)
        {
            _batch[0].Execute(_writer);
        }
        else if (!TryRunInOneTransaction())
        {
            // Rolled back: each write runs again in a transaction of its own and gets its own outcome.
            foreach (SqliteWrite write in _batch)
            {
                write.Undo();
                write.Execute(_writer);
            }
        }

        // Completing hands each write back to its caller, who may reuse it at once: nothing touches it after this.
        foreach (SqliteWrite write in _batch)
        {
            write.Complete();
        }

        _batch.Clear();
    }

    /// <returns>True when every write of the batch ran and the transaction committed; false when it was rolled back.</returns>
    private bool TryRunInOneTransaction()
    {
        try
        {
            _writer.Begin();
        }
        catch (SqliteException)
        {
            return false;
        }

        bool ran = true;
        foreach (SqliteWrite write in _batch)
        {
            write.Execute(_writer);
            if (write.Faulted)
            {
                ran = false;
                break;
            }
        }

        if (ran && _writer.TryCommit())
        {
            return true;
        }

        _writer.RollbackIfOpen();
        return false;
    }

    /// <summary>After a batch: the work item goes round again behind the work queued meanwhile, or the writer is released (and taken again if a write slipped in).</summary>
    private void ContinueOrStop()
    {
        while (true)
        {
            if (!_pending.IsEmpty)
            {
                ThreadPool.UnsafeQueueUserWorkItem(_groupCommit, preferLocal: false);
                return;
            }

            Volatile.Write(ref _writing, 0);
            // A write enqueued after the emptiness check found the writer still held and left its batch to us.
            if (_pending.IsEmpty || Interlocked.CompareExchange(ref _writing, 1, 0) != 0)
            {
                return;
            }
        }
    }

    private void FailPending()
    {
        while (_pending.TryDequeue(out SqliteWrite? write))
        {
            write.Fail(new ObjectDisposedException(nameof(SqliteDatabase)));
            write.Complete();
        }
    }

    /// <summary>Commits batches on a thread-pool thread until no write is waiting.</summary>
    private sealed class GroupCommitWorkItem(SqliteDatabase database) : IThreadPoolWorkItem
    {
        public void Execute()
        {
            database.CommitOneBatch();
            database.ContinueOrStop();
        }
    }

    private SqliteSession RentReader()
    {
        if (_readers.TryDequeue(out SqliteSession? session))
        {
            Interlocked.Decrement(ref _idleReaders);
            return session;
        }

        return OpenSession();
    }

    private void ReturnReader(SqliteSession session)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            session.Dispose();
            return;
        }

        if (Interlocked.Increment(ref _idleReaders) <= MaxIdleReaders)
        {
            _readers.Enqueue(session);
            return;
        }

        Interlocked.Decrement(ref _idleReaders);
        session.Dispose();
    }

    private SqliteSession OpenSession()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            var session = new SqliteSession(connection);
            // Per connection: durability of commits (see SqliteDurability) and a wait instead of an
            // immediate SQLITE_BUSY in the rare moments WAL still locks (recovery, checkpoint restart).
            // wal_autocheckpoint: the writer copies the WAL back into the file every 4,096 pages (16 MiB) instead of SQLite's
            // 1,000: the pages every batch rewrites (the queue's ends, the indexes' newest leaves) are copied once per
            // checkpoint, so fewer checkpoints copy fewer pages in all; the WAL stays bounded at about that size.
            session.Execute(_synchronousPragma + "PRAGMA busy_timeout=5000; PRAGMA wal_autocheckpoint=4096;");
            Debug.Assert(connection.State == System.Data.ConnectionState.Open, "a session's connection is open for its lifetime");
            return session;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }
}
