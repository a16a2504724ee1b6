using System.Globalization;
using Microsoft.Data.Sqlite;
using Perf.Invoker.Containers;

namespace Perf.Invoker.Tests.Reliability;

/// <summary>What an `invoker standalone` left in its data directory and on the machine, read from outside (WAL lets a reader in beside it).</summary>
internal static class StandaloneData
{
    /// <summary>Activation ids with a stored record.</summary>
    public static List<string> RecordIds(string data) => Query(data, "SELECT id FROM activations;", reader => reader.GetString(0));

    /// <summary>Messages still in the durable queue (accepted, not yet committed as completed).</summary>
    public static long Queued(string data) => Query(data, "SELECT count(*) FROM queue;", reader => reader.GetInt64(0))[0];

    /// <summary>Runtime processes carrying this data directory's owner tag: the invoker's containers, or its orphans.</summary>
    public static int[] RuntimeProcesses(string data)
    {
        string marker = $"PERF_INVOKER_OWNER={OwnerTag.For("standalone", data)}";
        var pids = new List<int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && !ProcessContainerFactory.IsGone(pid))
            {
                try
                {
                    if (File.ReadAllText(Path.Combine(dir, "environ")).Split('\0').Contains(marker))
                    {
                        pids.Add(pid);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Gone meanwhile.
                }
            }
        }

        return [.. pids];
    }

    private static List<T> Query<T>(string data, string sql, Func<SqliteDataReader, T> read)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(data, "invoker.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        using SqliteDataReader reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read())
        {
            rows.Add(read(reader));
        }

        return rows;
    }
}
