using Microsoft.Data.Sqlite;

namespace Perf.Invoker.Store;

/// <summary>
/// The API gateway's routes of standalone mode (docs/standalone.md, API routes): one swagger document per namespace and
/// base path, as <c>createApi</c> leaves it and <c>getApi</c> shows it, kept as its JSON bytes.
/// </summary>
public sealed class SqliteApiStore(SqliteDatabase database)
{
    private const string PutSql = """
        INSERT INTO apis(namespace, basepath, doc) VALUES($namespace, $basepath, $doc)
        ON CONFLICT(namespace, basepath) DO UPDATE SET doc = excluded.doc;
        """;
    private const string ListSql = "SELECT basepath, doc FROM apis WHERE namespace = $namespace ORDER BY basepath;";
    private const string DeleteSql = "DELETE FROM apis WHERE namespace = $namespace AND basepath = $basepath;";

    /// <summary>Creates or replaces the API of <paramref name="namespace"/> at <paramref name="basePath"/>.</summary>
    public ValueTask PutAsync(string @namespace, string basePath, byte[] document, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(@namespace);
        ArgumentNullException.ThrowIfNull(basePath);
        ArgumentNullException.ThrowIfNull(document);
        ValueTask<bool> write = database.WriteAsync((@namespace, basePath, document), static (session, put) =>
        {
            SqliteCommand command = session.Command(PutSql, "$namespace", "$basepath", "$doc");
            command.Parameters[0].Value = put.@namespace;
            command.Parameters[1].Value = put.basePath;
            command.Parameters[2].Value = put.document;
            return command.ExecuteNonQuery() == 1;
        }, cancellationToken, alone: true);
        return write.IsCompletedSuccessfully ? ValueTask.CompletedTask : new ValueTask(write.AsTask());
    }

    /// <summary>Every API of <paramref name="namespace"/> by base path.</summary>
    public IReadOnlyList<(string BasePath, byte[] Document)> List(string @namespace)
    {
        ArgumentNullException.ThrowIfNull(@namespace);
        return database.Read(@namespace, static (session, ns) =>
        {
            SqliteCommand list = session.Command(ListSql, "$namespace");
            list.Parameters[0].Value = ns;
            var apis = new List<(string, byte[])>();
            using SqliteDataReader reader = list.ExecuteReader();
            while (reader.Read())
            {
                apis.Add((reader.GetString(0), reader.GetFieldValue<byte[]>(1)));
            }

            return (IReadOnlyList<(string, byte[])>)apis;
        });
    }

    /// <returns>True when the API existed.</returns>
    public ValueTask<bool> DeleteAsync(string @namespace, string basePath, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(@namespace);
        ArgumentNullException.ThrowIfNull(basePath);
        return database.WriteAsync((@namespace, basePath), static (session, key) =>
        {
            SqliteCommand delete = session.Command(DeleteSql, "$namespace", "$basepath");
            delete.Parameters[0].Value = key.@namespace;
            delete.Parameters[1].Value = key.basePath;
            return delete.ExecuteNonQuery() == 1;
        }, cancellationToken, alone: true);
    }
}
