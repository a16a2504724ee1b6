using Microsoft.Data.Sqlite;

namespace Perf.Invoker.Store;

/// <summary>
/// One open connection and the statements prepared on it. Used by one operation at a time (the
/// database hands it out and takes it back), so prepared statements are reused without locks.
/// </summary>
internal sealed class SqliteSession : IDisposable
{
    /// <summary>Prepared commands by SQL text; each belongs to <see cref="Connection"/> and lives as long as it.</summary>
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    public SqliteSession(SqliteConnection connection) => Connection = connection;

    public SqliteConnection Connection { get; }

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
        Connection.Dispose();
    }
}
