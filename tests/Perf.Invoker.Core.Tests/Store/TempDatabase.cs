using Microsoft.Data.Sqlite;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Tests.Store;

/// <summary>A real SQLite file in a fresh temporary folder, deleted with the folder on Dispose.</summary>
internal sealed class TempDatabase : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("perf-invoker-store-");

    public TempDatabase() => Database = SqliteDatabase.Open(FilePath);

    public string FilePath => Path.Combine(_directory.FullName, "invoker.db");

    public SqliteDatabase Database { get; private set; }

    /// <summary>Closes the file as a crash would leave it (nothing completed, nothing flushed by us) and opens it again.</summary>
    public SqliteDatabase Reopen()
    {
        Database.Dispose();
        Database = SqliteDatabase.Open(FilePath);
        return Database;
    }

    /// <summary>Runs raw SQL on a separate connection, to plant rows the stores would never write.</summary>
    public void ExecuteRaw(string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = FilePath, Pooling = false }.ToString());
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        Database.Dispose();
        _directory.Delete(recursive: true);
    }

    public static ActivationRecord Record(string name = "hello", long start = 1_717_171_717_200, ActivationId? id = null, string result = """{"payload":"hi"}""") => new()
    {
        Namespace = "guest",
        Name = name,
        Subject = "guest",
        ActivationId = id ?? ActivationId.NewId(),
        Start = start,
        End = start + 175,
        Response = new ActivationResponse { StatusCode = 0, Result = RawJson.Parse(result) },
        Logs = ["2024-05-31T12:48:37.2Z stdout: hi"],
        Version = "0.0.1",
        Annotations = [new Parameter { Key = "kind", Value = RawJson.Parse("\"nodejs:20\"") }],
        Duration = 175,
    };

    public static ActionSpec Spec(string code = "function main(){return {}}", int concurrency = 10) => new()
    {
        Exec = new ActionExec { Kind = "nodejs:20", Code = code, Main = "main" },
        Limits = new ActionLimits { Concurrency = concurrency, Memory = 256, Timeout = 60_000, Logs = 10 },
    };
}
