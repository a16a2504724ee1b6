using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Data.Sqlite;
using Perf.Invoker.Buffers;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using SQLitePCL;

namespace Perf.Invoker.Store;

/// <summary>
/// Activation records (docs/openwhisk.md §4) as their JSON bytes plus the columns the REST listing
/// (docs/openwhisk.md §7) filters and sorts on. Storing is idempotent on the activation id: a redelivered
/// activation never gets a second record (docs/architecture.md §3 invariant 1), the first one stays.
/// </summary>
public sealed class SqliteActivationStore : IActivationStore
{
    private const string InsertSql = "INSERT OR IGNORE INTO activations(id, namespace, name, start, record) VALUES(?1, ?2, ?3, ?4, ?5);";
    private const string FindSql = "SELECT record FROM activations WHERE id = $id;";
    // since and upto bound the start time, both inclusive, as OpenWhisk's view keys do (0 and long.MaxValue when absent).
    private const string ListSql = "SELECT id, record FROM activations WHERE namespace = $namespace AND start >= $since AND start <= $upto ORDER BY start DESC, rowid DESC LIMIT $limit OFFSET $skip;";
    private const string ListByNameSql = "SELECT id, record FROM activations WHERE namespace = $namespace AND name = $name AND start >= $since AND start <= $upto ORDER BY start DESC, rowid DESC LIMIT $limit OFFSET $skip;";
    private const string CountSql = "SELECT count(*) FROM activations WHERE namespace = $namespace AND start >= $since AND start <= $upto;";
    private const string CountByNameSql = "SELECT count(*) FROM activations WHERE namespace = $namespace AND name = $name AND start >= $since AND start <= $upto;";

    /// <summary>
    /// A record carries the action's result two levels down (<c>response.result</c>) and a result may nest as deep
    /// as any JSON the invoker reads: read back any shallower and such a record, stored, could never be listed.
    /// </summary>
    private const int RecordMaxDepth = JsonReader.DefaultMaxDepth + 2;

    /// <summary>A record's bytes are kept for the next one up to this size; a rare larger record gives its buffer back.</summary>
    private const int ScratchRetainLimit = 1 << 20;

    /// <summary>The longest pause between two attempts at a record the disk could not take.</summary>
    private static readonly TimeSpan s_maxRetryDelay = TimeSpan.FromSeconds(2);

    private readonly SqliteDatabase _database;

    private readonly Action<string>? _report;

    /// <summary>1 while records cannot be written, so that an outage is reported once when it begins and once when it ends.</summary>
    private int _unavailable;

    /// <param name="report">Where the beginning and the end of an outage of the disk are said (the invoker's log); nowhere when null.</param>
    public SqliteActivationStore(SqliteDatabase database, Action<string>? report = null)
    {
        _database = database;
        _report = report;
    }

    /// <summary>
    /// Stores the record; while the disk is full or read-only (<see cref="StoreUnavailableException"/>) it tries again, so the
    /// activation holds its credit and its place in the queue until the record is written: a record is the activation's
    /// outcome, and the queue forgets an activation once it completed (docs/reliability.md, disk rows).
    /// </summary>
    public ValueTask StoreAsync(ActivationRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        ValueTask<bool> insert = TryStoreAsync(record, cancellationToken);
        return insert.IsCompletedSuccessfully ? ValueTask.CompletedTask : AwaitAsync(this, record, insert, cancellationToken);

        // Group-committed writes complete asynchronously: the state machine of this await is pooled, not allocated per write.
        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
        static async ValueTask AwaitAsync(SqliteActivationStore store, ActivationRecord record, ValueTask<bool> pending, CancellationToken cancellationToken)
        {
            try
            {
                await pending.ConfigureAwait(false);
                if (Volatile.Read(ref store._unavailable) != 0)
                {
                    store.ReportAvailable();
                }
            }
            catch (StoreUnavailableException e)
            {
                await store.RetryAsync(record, e, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async ValueTask RetryAsync(ActivationRecord record, StoreUnavailableException failure, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _unavailable, 1) == 0)
        {
            _report?.Invoke($"activation records cannot be written: {failure.Message}; each is tried again until it is stored.");
        }

        TimeSpan delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            try
            {
                await TryStoreAsync(record, cancellationToken).ConfigureAwait(false);
                ReportAvailable();
                return;
            }
            catch (StoreUnavailableException)
            {
                delay = delay * 2 < s_maxRetryDelay ? delay * 2 : s_maxRetryDelay;
            }
        }
    }

    private void ReportAvailable()
    {
        if (Interlocked.Exchange(ref _unavailable, 0) != 0)
        {
            _report?.Invoke("activation records are written again.");
        }
    }

    /// <summary>Stores <paramref name="record"/> unless a record with its id exists.</summary>
    /// <returns>True when this call stored it; false when it was already there (the stored one is kept).</returns>
    public ValueTask<bool> TryStoreAsync(ActivationRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        return _database.WriteAsync(record, static (session, record) =>
        {
            // Native statement over the session's scratch buffer: the JSON and the key columns are written once, as UTF-8,
            // and bound in place (SQLite copies them), with no string, array or boxed value per record.
            PooledBufferWriter scratch = session.Scratch;
            scratch.Reset();
            Span<byte> id = scratch.GetSpan(32);
            record.ActivationId.TryFormat(id, out int idLength, default, null);
            scratch.Advance(idLength);
            int namespaceEnd = scratch.WrittenCount + WriteUtf8(scratch, record.Namespace);
            int nameEnd = namespaceEnd + WriteFilterName(scratch, record);
            JsonModel.Write(scratch, record);
            ReadOnlySpan<byte> bytes = scratch.WrittenSpan;
            sqlite3_stmt insert = session.Statement(InsertSql);
            try
            {
                session.Check(raw.sqlite3_bind_text(insert, 1, bytes[..idLength]));
                session.Check(raw.sqlite3_bind_text(insert, 2, bytes[idLength..namespaceEnd]));
                session.Check(raw.sqlite3_bind_text(insert, 3, bytes[namespaceEnd..nameEnd]));
                session.Check(raw.sqlite3_bind_int64(insert, 4, record.Start));
                session.Check(raw.sqlite3_bind_blob(insert, 5, bytes[nameEnd..]));
                session.StepToDone(insert);
                return raw.sqlite3_changes(session.Connection.Handle) == 1;
            }
            finally
            {
                SqliteSession.Reset(insert);
                scratch.Trim(ScratchRetainLimit);
            }
        }, cancellationToken);
    }

    /// <summary>
    /// The name the list filters on, as OpenWhisk's activation view keys it: <c>B/NAME</c> for an action invoked through
    /// binding B (its <c>binding</c> annotation, <c>"ns/B"</c>), <c>P/NAME</c> for an action in package P (its <c>path</c>
    /// annotation, <c>"ns/P/NAME"</c>, has three parts), else the name; so that <c>name=P/NAME</c> finds it.
    /// </summary>
    private static int WriteFilterName(PooledBufferWriter scratch, ActivationRecord record)
    {
        ReadOnlySpan<byte> package = default;
        foreach (Parameter annotation in record.Annotations)
        {
            ReadOnlySpan<byte> value = annotation.Value.Utf8.Span;
            int slash = value.IndexOf((byte)'/');
            if (value.Length < 2 || value[0] != '"' || value[^1] != '"' || slash < 0)
            {
                continue;
            }

            ReadOnlySpan<byte> afterNamespace = value[(slash + 1)..^1];
            if (annotation.Key == "binding")
            {
                package = afterNamespace;
                break;
            }

            if (annotation.Key == "path" && afterNamespace.IndexOf((byte)'/') is var last and >= 0 && afterNamespace[(last + 1)..].IndexOf((byte)'/') < 0)
            {
                package = afterNamespace[..last];
            }
        }

        if (package.IsEmpty)
        {
            return WriteUtf8(scratch, record.Name);
        }

        package.CopyTo(scratch.GetSpan(package.Length));
        scratch.Advance(package.Length);
        scratch.GetSpan(1)[0] = (byte)'/';
        scratch.Advance(1);
        return package.Length + 1 + WriteUtf8(scratch, record.Name);
    }

    private static int WriteUtf8(PooledBufferWriter scratch, string value)
    {
        int written = Encoding.UTF8.GetBytes(value, scratch.GetSpan(Encoding.UTF8.GetMaxByteCount(value.Length)));
        scratch.Advance(written);
        return written;
    }

    /// <summary>The record of <paramref name="activationId"/>; ids are unique across namespaces, so <paramref name="userNamespace"/> is not needed.</summary>
    /// <exception cref="StoreRecordException">The stored record is unreadable.</exception>
    public ValueTask<ActivationRecord?> FindAsync(string userNamespace, ActivationId activationId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_database.Read(activationId.ToString(), static (session, id) =>
        {
            SqliteCommand find = session.Command(FindSql, "$id");
            find.Parameters[0].Value = id;
            using SqliteDataReader reader = find.ExecuteReader();
            return reader.Read() ? Parse(id, reader.GetFieldValue<byte[]>(0)) : null;
        }));
    }

    /// <summary>
    /// The records of <paramref name="namespace"/> (of one action when <paramref name="name"/> is given),
    /// newest first by start time, skipping <paramref name="skip"/> and returning at most <paramref name="limit"/>.
    /// </summary>
    /// <exception cref="StoreRecordException">One of the records is unreadable.</exception>
    public ValueTask<IReadOnlyList<ActivationRecord>> ListAsync(string @namespace, string? name, int limit, int skip, CancellationToken cancellationToken) =>
        ListAsync(@namespace, name, limit, skip, since: 0, upto: long.MaxValue, cancellationToken);

    /// <summary>As the other overload, only records that started from <paramref name="since"/> up to <paramref name="upto"/> (epoch ms, inclusive).</summary>
    /// <exception cref="StoreRecordException">One of the records is unreadable.</exception>
    public ValueTask<IReadOnlyList<ActivationRecord>> ListAsync(string @namespace, string? name, int limit, int skip, long since, long upto, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(@namespace);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_database.Read((@namespace, name, limit, skip, since, upto), static (session, query) =>
        {
            SqliteCommand list = query.name is null
                ? session.Command(ListSql, "$namespace", "$since", "$upto", "$limit", "$skip")
                : session.Command(ListByNameSql, "$namespace", "$name", "$since", "$upto", "$limit", "$skip");
            int index = 0;
            list.Parameters[index++].Value = query.@namespace;
            if (query.name is not null)
            {
                list.Parameters[index++].Value = query.name;
            }

            list.Parameters[index++].Value = query.since;
            list.Parameters[index++].Value = query.upto;
            list.Parameters[index++].Value = query.limit;
            list.Parameters[index].Value = query.skip;
            var records = new List<ActivationRecord>(Math.Min(query.limit, 64));
            using SqliteDataReader reader = list.ExecuteReader();
            while (reader.Read())
            {
                records.Add(Parse(reader.GetString(0), reader.GetFieldValue<byte[]>(1)));
            }

            return (IReadOnlyList<ActivationRecord>)records;
        }));
    }

    /// <summary>How many records <paramref name="namespace"/> has (of one action when <paramref name="name"/> is given) that started from <paramref name="since"/> up to <paramref name="upto"/>.</summary>
    public ValueTask<long> CountAsync(string @namespace, string? name, long since, long upto, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(@namespace);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_database.Read((@namespace, name, since, upto), static (session, query) =>
        {
            SqliteCommand count = query.name is null
                ? session.Command(CountSql, "$namespace", "$since", "$upto")
                : session.Command(CountByNameSql, "$namespace", "$name", "$since", "$upto");
            int index = 0;
            count.Parameters[index++].Value = query.@namespace;
            if (query.name is not null)
            {
                count.Parameters[index++].Value = query.name;
            }

            count.Parameters[index++].Value = query.since;
            count.Parameters[index].Value = query.upto;
            return (long)count.ExecuteScalar()!;
        }));
    }

    private static ActivationRecord Parse(string id, byte[] json)
    {
        try
        {
            return JsonModel.Read<ActivationRecord>(json, RecordMaxDepth);
        }
        catch (JsonReadException e)
        {
            throw new StoreRecordException("activations", id, e);
        }
    }
}
