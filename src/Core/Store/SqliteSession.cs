using Microsoft.Data.Sqlite;
using Perf.Invoker.Buffers;
using SQLitePCL;

namespace Perf.Invoker.Store;

/// <summary>
/// One open connection and the statements prepared on it. Used by one operation at a time (the
/// database hands it out and takes it back), so prepared statements are reused without locks.
/// </summary>
internal sealed class SqliteSession : IDisposable
{
    /// <summary>Prepared commands by SQL text; each belongs to <see cref="Connection"/> and lives as long as it.</summary>
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    /// <summary>
    /// Statements prepared on <see cref="Connection"/>'s native handle, for the hot paths where Microsoft.Data.Sqlite's
    /// per-execution reader, boxing and byte-array binding would allocate; finalized before the connection closes.
    /// </summary>
    private readonly Dictionary<string, sqlite3_stmt> _statements = new(StringComparer.Ordinal);

    public SqliteSession(SqliteConnection connection) => Connection = connection;

    public SqliteConnection Connection { get; }

    /// <summary>A buffer an operation may fill and bind from; its content lasts until the operation's next use of it.</summary>
    public PooledBufferWriter Scratch { get; } = new();

    /// <summary>
    /// The prepared command for <paramref name="sql"/>, with one parameter per name in
    /// <paramref name="parameters"/> (set their values by index).
    /// </summary>
    public SqliteCommand Command(string sql, params ReadOnlySpan<string> parameters)
    {
        if (!_commands.TryGetValue(sql, out SqliteCommand? command))
        {
            command = Connection.CreateCommand();
            command.CommandText = sql;
            foreach (string name in parameters)
            {
                command.Parameters.Add(new SqliteParameter { ParameterName = name });
            }

            command.Prepare();
            _commands.Add(sql, command);
        }

        return command;
    }

    /// <summary>The native prepared statement for <paramref name="sql"/>; bind, step, and <see cref="Reset"/> it after each use.</summary>
    public sqlite3_stmt Statement(string sql)
    {
        if (!_statements.TryGetValue(sql, out sqlite3_stmt? statement))
        {
            Check(raw.sqlite3_prepare_v2(Connection.Handle, sql, out statement));
            _statements.Add(sql, statement);
        }

        return statement;
    }

    /// <summary>Steps a statement that returns no rows, to completion.</summary>
    public void StepToDone(sqlite3_stmt statement)
    {
        int rc = raw.sqlite3_step(statement);
        if (rc != raw.SQLITE_DONE)
        {
            Check(rc);
        }
    }

    /// <summary>Makes a statement ready for its next use and drops its parameter values.</summary>
    public static void Reset(sqlite3_stmt statement)
    {
        raw.sqlite3_reset(statement);
        raw.sqlite3_clear_bindings(statement);
    }

    /// <summary>Begins a write transaction (IMMEDIATE: the write lock now, so no statement inside it waits for one).</summary>
    public void Begin()
    {
        sqlite3_stmt begin = Statement("BEGIN IMMEDIATE;");
        int rc = raw.sqlite3_step(begin);
        raw.sqlite3_reset(begin);
        if (rc != raw.SQLITE_DONE)
        {
            Check(rc);
        }
    }

    /// <returns>True when the transaction committed; false when COMMIT failed (disk full, I/O error) and it is still open or rolled back.</returns>
    public bool TryCommit()
    {
        sqlite3_stmt commit = Statement("COMMIT;");
        int rc = raw.sqlite3_step(commit);
        raw.sqlite3_reset(commit);
        return rc == raw.SQLITE_DONE;
    }

    /// <summary>Rolls back the open transaction, if SQLite has not already rolled it back itself (it may, after SQLITE_FULL or an I/O error).</summary>
    public void RollbackIfOpen()
    {
        if (raw.sqlite3_get_autocommit(Connection.Handle) == 0)
        {
            sqlite3_stmt rollback = Statement("ROLLBACK;");
            raw.sqlite3_step(rollback);
            raw.sqlite3_reset(rollback);
        }
    }

    /// <summary>Throws SqliteException (with SQLite's message) for an error code; SQLITE_OK, ROW and DONE pass.</summary>
    public void Check(int rc) => SqliteException.ThrowExceptionForRC(rc, Connection.Handle);

    public void Execute(string sql)
    {
        using SqliteCommand command = Connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        foreach (SqliteCommand command in _commands.Values)
        {
            command.Dispose();
        }

        _commands.Clear();
        foreach (sqlite3_stmt statement in _statements.Values)
        {
            statement.Dispose();
        }

        _statements.Clear();
        Scratch.Trim(0);
        Connection.Dispose();
    }
}
