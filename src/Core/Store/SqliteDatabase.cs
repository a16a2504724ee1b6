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
        CREATE TABLE IF NOT EXISTS queue(
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            message BLOB NOT NULL);
        """;

    private readonly string _connectionString;

    private readonly string _synchronousPragma;

    /// <summary>The only connection that writes; used only while <see cref="_writeGate"/> is held.</summary>
    private readonly SqliteSession _writer;

    /// <summary>Held (count 0) by the one operation using <see cref="_writer"/>.</summary>
    private readonly SemaphoreSlim _writeGate = new(1, 1);

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
    }

    public string Path { get; }

    public SqliteDurability Durability { get; }

    /// <summary>Opens (creating if needed) the database at <paramref name="path"/> and its tables.</summary>
    public static SqliteDatabase Open(string path, SqliteDurability durability = SqliteDurability.ProcessCrash)
    {
        var database = new SqliteDatabase(path, durability);
        try
        {
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

    /// <summary>Runs <paramref name="operation"/> on the writer connection, after every earlier write has finished.</summary>
    internal async ValueTask<TResult> WriteAsync<TState, TResult>(TState state, Func<SqliteSession, TState, TResult> operation, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Checked under the gate: Dispose closes the writer while holding it, and a native statement must never run on a closed handle.
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return operation(_writer, state);
        }
        finally
        {
            _writeGate.Release();
        }
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

        // Waits for a write in progress; writes queued behind it see _disposed and throw ObjectDisposedException.
        _writeGate.Wait();
        _writer.Dispose();
        _writeGate.Release();
        while (_readers.TryDequeue(out SqliteSession? session))
        {
            session.Dispose();
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
            session.Execute(_synchronousPragma + "PRAGMA busy_timeout=5000;");
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
