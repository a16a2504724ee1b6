using Microsoft.Data.Sqlite;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using SQLitePCL;

namespace Perf.Invoker.Store;

/// <summary>
/// Trigger and rule documents, keyed by namespace and name. Both live here because a rule's status lives in its
/// trigger's document, as in OpenWhisk: creating, enabling or deleting a rule changes a rule and one or two triggers,
/// and <see cref="ChangeAsync"/> runs such a change in one transaction on the writer, so no other change interleaves
/// and a crash leaves either all of it or none. Lists are newest change first, as OpenWhisk's views list them.
/// </summary>
public sealed class SqliteTriggerStore(SqliteDatabase database)
{
    /// <summary>Reads one page of a list: the table's name is the only thing that differs between triggers and rules.</summary>
    private const string ListTriggersSql = "SELECT name, updated, spec FROM triggers WHERE namespace = $namespace ORDER BY updated DESC, name LIMIT $limit OFFSET $skip;";
    private const string ListRulesSql = "SELECT name, updated, spec FROM rules WHERE namespace = $namespace ORDER BY updated DESC, name LIMIT $limit OFFSET $skip;";
    private const string CountTriggersSql = "SELECT count(*) FROM triggers WHERE namespace = $namespace;";
    private const string CountRulesSql = "SELECT count(*) FROM rules WHERE namespace = $namespace;";
    private const string GetTriggerSql = "SELECT updated, spec FROM triggers WHERE namespace = $namespace AND name = $name;";
    private const string GetRuleSql = "SELECT updated, spec FROM rules WHERE namespace = $namespace AND name = $name;";
    private const string PutTriggerSql = "INSERT OR REPLACE INTO triggers(namespace, name, updated, spec) VALUES($namespace, $name, $updated, $spec);";
    private const string PutRuleSql = "INSERT OR REPLACE INTO rules(namespace, name, updated, spec) VALUES($namespace, $name, $updated, $spec);";
    private const string DeleteTriggerSql = "DELETE FROM triggers WHERE namespace = $namespace AND name = $name;";
    private const string DeleteRuleSql = "DELETE FROM rules WHERE namespace = $namespace AND name = $name;";

    public ValueTask<StoredTrigger?> GetTriggerAsync(string @namespace, string name, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(database.Read((@namespace, name), static (session, key) => GetTrigger(session, key.@namespace, key.name)));
    }

    public ValueTask<StoredRule?> GetRuleAsync(string @namespace, string name, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(database.Read((@namespace, name), static (session, key) => GetRule(session, key.@namespace, key.name)));
    }

    public ValueTask<IReadOnlyList<StoredTrigger>> ListTriggersAsync(string @namespace, int limit, int skip, CancellationToken cancellationToken = default) =>
        ListAsync(ListTriggersSql, @namespace, limit, skip, static (ns, name, updated, json) => new StoredTrigger(ns, name, updated, Parse<TriggerSpec>("triggers", ns, name, json)), cancellationToken);

    public ValueTask<IReadOnlyList<StoredRule>> ListRulesAsync(string @namespace, int limit, int skip, CancellationToken cancellationToken = default) =>
        ListAsync(ListRulesSql, @namespace, limit, skip, static (ns, name, updated, json) => new StoredRule(ns, name, updated, Parse<RuleSpec>("rules", ns, name, json)), cancellationToken);

    public ValueTask<long> CountTriggersAsync(string @namespace, CancellationToken cancellationToken = default) => CountAsync(CountTriggersSql, @namespace, cancellationToken);

    public ValueTask<long> CountRulesAsync(string @namespace, CancellationToken cancellationToken = default) => CountAsync(CountRulesSql, @namespace, cancellationToken);

    /// <summary>
    /// Runs <paramref name="change"/> in one transaction on the writer: what it reads through the <see cref="TriggerChange"/>
    /// is current, and what it writes commits together once it returns; an exception rolls all of it back and is thrown.
    /// </summary>
    public async ValueTask<T> ChangeAsync<T>(Func<TriggerChange, T> change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        return await database.WriteAsync(change, static (session, change) =>
        {
            session.Begin();
            try
            {
                T result = change(new TriggerChange(session));
                if (!session.TryCommit())
                {
                    throw new SqliteException("COMMIT of a trigger change failed", raw.SQLITE_ERROR);
                }

                return result;
            }
            catch
            {
                session.RollbackIfOpen();
                throw;
            }
        }, cancellationToken, alone: true).ConfigureAwait(false);
    }

    internal static StoredTrigger? GetTrigger(SqliteSession session, string @namespace, string name)
    {
        (long Updated, byte[] Json)? row = GetRow(session, GetTriggerSql, @namespace, name);
        return row is { } r ? new StoredTrigger(@namespace, name, r.Updated, Parse<TriggerSpec>("triggers", @namespace, name, r.Json)) : null;
    }

    internal static StoredRule? GetRule(SqliteSession session, string @namespace, string name)
    {
        (long Updated, byte[] Json)? row = GetRow(session, GetRuleSql, @namespace, name);
        return row is { } r ? new StoredRule(@namespace, name, r.Updated, Parse<RuleSpec>("rules", @namespace, name, r.Json)) : null;
    }

    internal static void Put(SqliteSession session, bool trigger, string @namespace, string name, long updated, byte[] json)
    {
        SqliteCommand put = session.Command(trigger ? PutTriggerSql : PutRuleSql, "$namespace", "$name", "$updated", "$spec");
        put.Parameters[0].Value = @namespace;
        put.Parameters[1].Value = name;
        put.Parameters[2].Value = updated;
        put.Parameters[3].Value = json;
        put.ExecuteNonQuery();
    }

    internal static bool Delete(SqliteSession session, bool trigger, string @namespace, string name)
    {
        SqliteCommand delete = session.Command(trigger ? DeleteTriggerSql : DeleteRuleSql, "$namespace", "$name");
        delete.Parameters[0].Value = @namespace;
        delete.Parameters[1].Value = name;
        return delete.ExecuteNonQuery() == 1;
    }

    private static (long Updated, byte[] Json)? GetRow(SqliteSession session, string sql, string @namespace, string name)
    {
        SqliteCommand get = session.Command(sql, "$namespace", "$name");
        get.Parameters[0].Value = @namespace;
        get.Parameters[1].Value = name;
        using SqliteDataReader reader = get.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(0), reader.GetFieldValue<byte[]>(1)) : null;
    }

    private ValueTask<IReadOnlyList<T>> ListAsync<T>(string sql, string @namespace, int limit, int skip, Func<string, string, long, byte[], T> parse, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(database.Read((sql, @namespace, limit, skip, parse), static (session, query) =>
        {
            SqliteCommand list = session.Command(query.sql, "$namespace", "$limit", "$skip");
            list.Parameters[0].Value = query.@namespace;
            list.Parameters[1].Value = query.limit;
            list.Parameters[2].Value = query.skip;
            var items = new List<T>();
            using SqliteDataReader reader = list.ExecuteReader();
            while (reader.Read())
            {
                items.Add(query.parse(query.@namespace, reader.GetString(0), reader.GetInt64(1), reader.GetFieldValue<byte[]>(2)));
            }

            return (IReadOnlyList<T>)items;
        }));
    }

    private ValueTask<long> CountAsync(string sql, string @namespace, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(database.Read((sql, @namespace), static (session, query) =>
        {
            SqliteCommand count = session.Command(query.sql, "$namespace");
            count.Parameters[0].Value = query.@namespace;
            return (long)count.ExecuteScalar()!;
        }));
    }

    private static T Parse<T>(string table, string @namespace, string name, byte[] json) where T : IJsonValue<T>
    {
        try
        {
            return JsonModel.Read<T>(json);
        }
        catch (JsonReadException e)
        {
            throw new StoreRecordException(table, $"{@namespace}/{name}", e);
        }
    }
}

/// <summary>The reads and writes of one <see cref="SqliteTriggerStore.ChangeAsync"/>; valid only while its change runs.</summary>
public sealed class TriggerChange
{
    private readonly SqliteSession _session;

    internal TriggerChange(SqliteSession session) => _session = session;

    public StoredTrigger? GetTrigger(string @namespace, string name) => SqliteTriggerStore.GetTrigger(_session, @namespace, name);

    public StoredRule? GetRule(string @namespace, string name) => SqliteTriggerStore.GetRule(_session, @namespace, name);

    public StoredTrigger PutTrigger(string @namespace, string name, long updated, TriggerSpec spec)
    {
        SqliteTriggerStore.Put(_session, trigger: true, @namespace, name, updated, JsonModel.ToUtf8Bytes(spec));
        return new StoredTrigger(@namespace, name, updated, spec);
    }

    public StoredRule PutRule(string @namespace, string name, long updated, RuleSpec spec)
    {
        SqliteTriggerStore.Put(_session, trigger: false, @namespace, name, updated, JsonModel.ToUtf8Bytes(spec));
        return new StoredRule(@namespace, name, updated, spec);
    }

    /// <returns>True when the trigger existed.</returns>
    public bool DeleteTrigger(string @namespace, string name) => SqliteTriggerStore.Delete(_session, trigger: true, @namespace, name);

    /// <returns>True when the rule existed.</returns>
    public bool DeleteRule(string @namespace, string name) => SqliteTriggerStore.Delete(_session, trigger: false, @namespace, name);
}
