using Microsoft.Data.Sqlite;
using Perf.Invoker.Json;
using Perf.Invoker.Model;

namespace Perf.Invoker.Store;

/// <summary>
/// The built-in alarms feed's documents (<see cref="AlarmSpec"/>), one per trigger, keyed by the trigger's namespace
/// and name: what the scheduler arms again after a restart.
/// </summary>
public sealed class SqliteAlarmStore(SqliteDatabase database)
{
    private const string CreateSql = "INSERT INTO alarms(namespace, trigger, spec) VALUES($namespace, $trigger, $spec) ON CONFLICT(namespace, trigger) DO NOTHING;";
    private const string PutSql = "INSERT OR REPLACE INTO alarms(namespace, trigger, spec) VALUES($namespace, $trigger, $spec);";
    private const string GetSql = "SELECT spec FROM alarms WHERE namespace = $namespace AND trigger = $trigger;";
    private const string ListSql = "SELECT namespace, trigger, spec FROM alarms;";
    private const string DeleteSql = "DELETE FROM alarms WHERE namespace = $namespace AND trigger = $trigger;";

    /// <returns>False when the trigger has an alarm already (the alarms provider's 409).</returns>
    public ValueTask<bool> CreateAsync(string @namespace, string trigger, AlarmSpec spec, CancellationToken cancellationToken = default) =>
        WriteAsync(CreateSql, @namespace, trigger, spec, cancellationToken);

    /// <summary>Creates or replaces the alarm of <paramref name="trigger"/>.</summary>
    public async ValueTask PutAsync(string @namespace, string trigger, AlarmSpec spec, CancellationToken cancellationToken = default) =>
        await WriteAsync(PutSql, @namespace, trigger, spec, cancellationToken).ConfigureAwait(false);

    public ValueTask<AlarmSpec?> GetAsync(string @namespace, string trigger, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(database.Read((@namespace, trigger), static (session, key) =>
        {
            SqliteCommand get = session.Command(GetSql, "$namespace", "$trigger");
            get.Parameters[0].Value = key.@namespace;
            get.Parameters[1].Value = key.trigger;
            using SqliteDataReader reader = get.ExecuteReader();
            return reader.Read() ? Parse(key.@namespace, key.trigger, reader.GetFieldValue<byte[]>(0)) : null;
        }));
    }

    /// <summary>Every alarm of every namespace, for the scheduler's start.</summary>
    public IReadOnlyList<(string Namespace, string Trigger, AlarmSpec Spec)> ListAll() => database.Read(0, static (session, _) =>
    {
        SqliteCommand list = session.Command(ListSql);
        var alarms = new List<(string, string, AlarmSpec)>();
        using SqliteDataReader reader = list.ExecuteReader();
        while (reader.Read())
        {
            string ns = reader.GetString(0);
            string trigger = reader.GetString(1);
            alarms.Add((ns, trigger, Parse(ns, trigger, reader.GetFieldValue<byte[]>(2))));
        }

        return (IReadOnlyList<(string, string, AlarmSpec)>)alarms;
    });

    /// <returns>True when the trigger had an alarm.</returns>
    public async ValueTask<bool> DeleteAsync(string @namespace, string trigger, CancellationToken cancellationToken = default) =>
        await database.WriteAsync((@namespace, trigger), static (session, key) =>
        {
            SqliteCommand delete = session.Command(DeleteSql, "$namespace", "$trigger");
            delete.Parameters[0].Value = key.@namespace;
            delete.Parameters[1].Value = key.trigger;
            return delete.ExecuteNonQuery() == 1;
        }, cancellationToken).ConfigureAwait(false);

    private async ValueTask<bool> WriteAsync(string sql, string @namespace, string trigger, AlarmSpec spec, CancellationToken cancellationToken) =>
        await database.WriteAsync((sql, @namespace, trigger, json: JsonModel.ToUtf8Bytes(spec)), static (session, put) =>
        {
            SqliteCommand command = session.Command(put.sql, "$namespace", "$trigger", "$spec");
            command.Parameters[0].Value = put.@namespace;
            command.Parameters[1].Value = put.trigger;
            command.Parameters[2].Value = put.json;
            return command.ExecuteNonQuery() == 1;
        }, cancellationToken).ConfigureAwait(false);

    private static AlarmSpec Parse(string @namespace, string trigger, byte[] json)
    {
        try
        {
            return JsonModel.Read<AlarmSpec>(json);
        }
        catch (JsonReadException e)
        {
            throw new StoreRecordException("alarms", $"{@namespace}/{trigger}", e);
        }
    }
}
