using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.Data.Sqlite;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Benchmarks.Store;

/// <summary>
/// The cost of one accepted activation in the durable embedded queue (enqueue, then complete) and of storing
/// one activation record, on real SQLite files in a temporary folder. Baseline per category: the code a user
/// would write first with Microsoft.Data.Sqlite: a pooled connection opened per call, a new command with
/// AddWithValue, autocommit; same file settings (WAL, synchronous=NORMAL) so only the code differs.
/// </summary>
/// <remarks>Not sealed: BenchmarkDotNet's toolchains emit a type that derives from the benchmark class.</remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class StoreBenchmarks
{
    private const int ConcurrentTasks = 16;

    private DirectoryInfo _directory = null!;
    private SqliteDatabase _database = null!;
    private SqliteDatabase _powerLossDatabase = null!;
    private SqliteActivationQueue _queue = null!;
    private SqliteActivationQueue _powerLossQueue = null!;
    private SqliteActivationStore _records = null!;
    private string _naiveConnectionString = null!;
    private byte[] _message = null!;
    private ActivationRecord _record = null!;
    private long _nextId;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("perf-invoker-store-bench-");
        _database = SqliteDatabase.Open(Path.Combine(_directory.FullName, "store.db"));
        _powerLossDatabase = SqliteDatabase.Open(Path.Combine(_directory.FullName, "store-full.db"), SqliteDurability.PowerLoss);
        _queue = new SqliteActivationQueue(_database);
        _powerLossQueue = new SqliteActivationQueue(_powerLossDatabase);
        _records = new SqliteActivationStore(_database);

        // The naive baseline's file: same schema and WAL, created by the store (below) and then closed.
        string naivePath = Path.Combine(_directory.FullName, "naive.db");
        _naiveConnectionString = new SqliteConnectionStringBuilder { DataSource = naivePath }.ToString();

        // A real activation message and record (docs/openwhisk.md §2, §4), as the embedded feed and invoker write them.
        _message = Encoding.UTF8.GetBytes(BenchmarkPayloads.ActivationMessage);
        _record = JsonModel.Read<ActivationRecord>(Encoding.UTF8.GetBytes(BenchmarkPayloads.ActivationRecord));
        _records.StoreAsync(_record, default).AsTask().GetAwaiter().GetResult();
        using (SqliteDatabase naive = SqliteDatabase.Open(naivePath))
        {
            new SqliteActivationStore(naive).StoreAsync(_record, default).AsTask().GetAwaiter().GetResult();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _database.Dispose();
        _powerLossDatabase.Dispose();
        SqliteConnection.ClearAllPools();
        _directory.Delete(recursive: true);
    }

    [Benchmark(Baseline = true), BenchmarkCategory("queue enqueue+complete")]
    public void Naive_EnqueueComplete()
    {
        long sequence;
        using (var connection = new SqliteConnection(_naiveConnectionString))
        {
            connection.Open();
            using SqliteCommand pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA synchronous=NORMAL;";
            pragma.ExecuteNonQuery();
            using SqliteCommand insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO queue(message) VALUES($message) RETURNING seq;";
            insert.Parameters.AddWithValue("$message", _message);
            sequence = (long)insert.ExecuteScalar()!;
        }

        using (var connection = new SqliteConnection(_naiveConnectionString))
        {
            connection.Open();
            using SqliteCommand pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA synchronous=NORMAL;";
            pragma.ExecuteNonQuery();
            using SqliteCommand delete = connection.CreateCommand();
            delete.CommandText = "DELETE FROM queue WHERE seq = $seq;";
            delete.Parameters.AddWithValue("$seq", sequence);
            delete.ExecuteNonQuery();
        }
    }

    [Benchmark, BenchmarkCategory("queue enqueue+complete")]
    public async ValueTask Queue_EnqueueComplete()
    {
        long sequence = await _queue.EnqueueAsync(_message);
        await _queue.CompleteAsync(sequence);
    }

    [Benchmark, BenchmarkCategory("queue enqueue+complete")]
    public async ValueTask Queue_EnqueueComplete_PowerLossDurability()
    {
        long sequence = await _powerLossQueue.EnqueueAsync(_message);
        await _powerLossQueue.CompleteAsync(sequence);
    }

    /// <summary>16 activations accepted at once (wall time per activation across all tasks).</summary>
    [Benchmark(OperationsPerInvoke = ConcurrentTasks), BenchmarkCategory("queue enqueue+complete")]
    public Task Queue_EnqueueComplete_16Tasks()
    {
        var tasks = new Task[ConcurrentTasks];
        for (int i = 0; i < tasks.Length; i++)
        {
            tasks[i] = Queue_EnqueueComplete().AsTask();
        }

        return Task.WhenAll(tasks);
    }

    [Benchmark(Baseline = true), BenchmarkCategory("record store")]
    public void Naive_StoreRecord()
    {
        using var connection = new SqliteConnection(_naiveConnectionString);
        connection.Open();
        using SqliteCommand pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous=NORMAL;";
        pragma.ExecuteNonQuery();
        using SqliteCommand insert = connection.CreateCommand();
        insert.CommandText = "INSERT OR IGNORE INTO activations(id, namespace, name, start, record) VALUES($id, $namespace, $name, $start, $record);";
        insert.Parameters.AddWithValue("$id", new ActivationId((UInt128)(++_nextId)).ToString());
        insert.Parameters.AddWithValue("$namespace", _record.Namespace);
        insert.Parameters.AddWithValue("$name", _record.Name);
        insert.Parameters.AddWithValue("$start", _record.Start);
        insert.Parameters.AddWithValue("$record", JsonModel.ToUtf8Bytes(_record));
        insert.ExecuteNonQuery();
    }

    [Benchmark, BenchmarkCategory("record store")]
    public ValueTask<bool> Store_StoreRecord() =>
        _records.TryStoreAsync(new ActivationRecord
        {
            Namespace = _record.Namespace,
            Name = _record.Name,
            Subject = _record.Subject,
            ActivationId = new ActivationId((UInt128)(++_nextId) << 64),
            Start = _record.Start,
            End = _record.End,
            Response = _record.Response,
            Logs = _record.Logs,
            Version = _record.Version,
            Annotations = _record.Annotations,
            Duration = _record.Duration,
        }, default);

    [Benchmark(Baseline = true), BenchmarkCategory("record find")]
    public ActivationRecord? Naive_FindRecord()
    {
        using var connection = new SqliteConnection(_naiveConnectionString);
        connection.Open();
        using SqliteCommand find = connection.CreateCommand();
        find.CommandText = "SELECT record FROM activations WHERE id = $id;";
        find.Parameters.AddWithValue("$id", _record.ActivationId.ToString());
        using SqliteDataReader reader = find.ExecuteReader();
        return reader.Read() ? JsonModel.Read<ActivationRecord>((byte[])reader[0]) : null;
    }

    /// <summary>The duplicate check of a redelivered activation: its record exists.</summary>
    [Benchmark, BenchmarkCategory("record find")]
    public ValueTask<ActivationRecord?> Store_FindRecord() => _records.FindAsync(_record.Namespace, _record.ActivationId, default);
}
