using Microsoft.Data.Sqlite;
using Perf.Invoker.Json;
using Perf.Invoker.Model;

namespace Perf.Invoker.Store;

/// <summary>
/// Packages and bindings (OpenWhisk's WhiskPackage documents): the spec's JSON bytes keyed by namespace and name, with
/// a revision counter, as actions are kept. The actions of package P are not here: they are actions named "P/NAME".
/// No cache: a package is read when one of its actions is addressed through it, and SQLite's page cache serves that.
/// </summary>
public sealed class SqlitePackageStore(SqliteDatabase database)
{
    private const string CreateSql = """
        INSERT INTO packages(namespace, name, revision, spec) VALUES($namespace, $name, 1, $spec)
        ON CONFLICT(namespace, name) DO NOTHING RETURNING revision;
        """;
    private const string OverwriteSql = """
        INSERT INTO packages(namespace, name, revision, spec) VALUES($namespace, $name, 1, $spec)
        ON CONFLICT(namespace, name) DO UPDATE SET revision = revision + 1, spec = excluded.spec RETURNING revision;
        """;
    private const string GetSql = "SELECT revision, spec FROM packages WHERE namespace = $namespace AND name = $name;";
    private const string ListSql = "SELECT name, revision, spec FROM packages WHERE namespace = $namespace ORDER BY name LIMIT $limit OFFSET $skip;";
    private const string CountSql = "SELECT count(*) FROM packages WHERE namespace = $namespace;";
    private const string DeleteSql = "DELETE FROM packages WHERE namespace = $namespace AND name = $name;";

    /// <summary>Creates the package, or replaces it when <paramref name="overwrite"/> is true (its revision goes up by one).</summary>
    /// <returns>The stored package; null when it exists and <paramref name="overwrite"/> is false (REST: 409).</returns>
    public async ValueTask<StoredPackage?> PutAsync(string @namespace, string name, PackageSpec spec, bool overwrite, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(@namespace);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(spec);
        byte[] json = JsonModel.ToUtf8Bytes(spec);
        return await database.WriteAsync((@namespace, name, spec, json, overwrite), static (session, put) =>
        {
            SqliteCommand command = session.Command(put.overwrite ? OverwriteSql : CreateSql, "$namespace", "$name", "$spec");
            command.Parameters[0].Value = put.@namespace;
            command.Parameters[1].Value = put.name;
            command.Parameters[2].Value = put.json;
            return command.ExecuteScalar() is long revision ? new StoredPackage(put.@namespace, put.name, revision, put.spec) : null;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <exception cref="StoreRecordException">The stored spec is unreadable.</exception>
    public ValueTask<StoredPackage?> GetAsync(string @namespace, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(@namespace);
        ArgumentNullException.ThrowIfNull(name);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(database.Read((@namespace, name), static (session, key) =>
        {
            SqliteCommand get = session.Command(GetSql, "$namespace", "$name");
            get.Parameters[0].Value = key.@namespace;
            get.Parameters[1].Value = key.name;
            using SqliteDataReader reader = get.ExecuteReader();
            return reader.Read() ? Parse(key.@namespace, key.name, reader.GetInt64(0), reader.GetFieldValue<byte[]>(1)) : null;
        }));
    }

    /// <summary>The packages and bindings of <paramref name="namespace"/> by name, skipping <paramref name="skip"/>, at most <paramref name="limit"/>.</summary>
    /// <exception cref="StoreRecordException">One of the specs is unreadable.</exception>
    public ValueTask<IReadOnlyList<StoredPackage>> ListAsync(string @namespace, int limit, int skip, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(@namespace);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(database.Read((@namespace, limit, skip), static (session, query) =>
        {
            SqliteCommand list = session.Command(ListSql, "$namespace", "$limit", "$skip");
            list.Parameters[0].Value = query.@namespace;
            list.Parameters[1].Value = query.limit;
            list.Parameters[2].Value = query.skip;
            var packages = new List<StoredPackage>();
            using SqliteDataReader reader = list.ExecuteReader();
            while (reader.Read())
            {
                packages.Add(Parse(query.@namespace, reader.GetString(0), reader.GetInt64(1), reader.GetFieldValue<byte[]>(2)));
            }

            return (IReadOnlyList<StoredPackage>)packages;
        }));
    }

    /// <summary>How many packages and bindings <paramref name="namespace"/> has.</summary>
    public ValueTask<long> CountAsync(string @namespace, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(@namespace);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(database.Read(@namespace, static (session, ns) =>
        {
            SqliteCommand count = session.Command(CountSql, "$namespace");
            count.Parameters[0].Value = ns;
            return (long)count.ExecuteScalar()!;
        }));
    }

    /// <returns>True when the package existed.</returns>
    public async ValueTask<bool> DeleteAsync(string @namespace, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(@namespace);
        ArgumentNullException.ThrowIfNull(name);
        return await database.WriteAsync((@namespace, name), static (session, key) =>
        {
            SqliteCommand delete = session.Command(DeleteSql, "$namespace", "$name");
            delete.Parameters[0].Value = key.@namespace;
            delete.Parameters[1].Value = key.name;
            return delete.ExecuteNonQuery() == 1;
        }, cancellationToken).ConfigureAwait(false);
    }

    private static StoredPackage Parse(string @namespace, string name, long revision, byte[] json)
    {
        try
        {
            return new StoredPackage(@namespace, name, revision, JsonModel.Read<PackageSpec>(json));
        }
        catch (JsonReadException e)
        {
            throw new StoreRecordException("packages", $"{@namespace}/{name}", e);
        }
    }
}
