using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Perf.Invoker.Json;
using Perf.Invoker.Model;

namespace Perf.Invoker.Store;

/// <summary>
/// Action documents (docs/openwhisk.md §7): the spec's JSON bytes keyed by namespace and name, with a revision
/// counter. Reads are served from a cache of <see cref="StoredAction"/> (each holding its
/// <see cref="ExecutableAction"/>), which this store's own writes keep current; so there is one action
/// store per database. The cache is bounded by the bytes of the documents it holds (an action may be 48 MiB):
/// past the bound the least recently used go first.
/// </summary>
public sealed class SqliteActionStore
{
    /// <summary>What the cache holds at most by default, as the cluster's action cache (CouchActionSource).</summary>
    public const long DefaultCacheBytes = 64L << 20;

    private const string CreateSql = """
        INSERT INTO actions(namespace, name, revision, spec) VALUES($namespace, $name, 1, $spec)
        ON CONFLICT(namespace, name) DO NOTHING RETURNING revision;
        """;
    private const string OverwriteSql = """
        INSERT INTO actions(namespace, name, revision, spec) VALUES($namespace, $name, 1, $spec)
        ON CONFLICT(namespace, name) DO UPDATE SET revision = revision + 1, spec = excluded.spec RETURNING revision;
        """;
    private const string GetSql = "SELECT revision, spec FROM actions WHERE namespace = $namespace AND name = $name;";
    private const string ListSql = "SELECT name, revision, spec FROM actions WHERE namespace = $namespace ORDER BY name LIMIT $limit OFFSET $skip;";
    // Package P's actions are the names from "P/" up to "P0" ('0' follows '/'): a range of the primary key.
    private const string ListInPackageSql = "SELECT name, revision, spec FROM actions WHERE namespace = $namespace AND name > $from AND name < $to ORDER BY name LIMIT $limit OFFSET $skip;";
    private const string CountSql = "SELECT count(*) FROM actions WHERE namespace = $namespace;";
    private const string CountInPackageSql = "SELECT count(*) FROM actions WHERE namespace = $namespace AND name > $from AND name < $to;";
    private const string DeleteSql = "DELETE FROM actions WHERE namespace = $namespace AND name = $name;";

    private readonly SqliteDatabase _database;

    /// <summary>Actions read or written since the last change to them; never holds a revision older than the file's.</summary>
    private readonly ConcurrentDictionary<(string Namespace, string Name), CachedAction> _cache = new();

    private readonly long _cacheCapacity;

    /// <summary>The sum of the cached entries' bytes; changed under <see cref="_cacheLock"/> (as is the cache), read without it.</summary>
    private long _cachedBytes;

    /// <summary>Guards cache changes together with <see cref="_generation"/>.</summary>
    private readonly Lock _cacheLock = new();

    /// <summary>
    /// Incremented (under <see cref="_cacheLock"/>) after every committed write: a read that began before a
    /// write may not put what it read into the cache after that write's invalidation.
    /// </summary>
    private long _generation;

    /// <param name="cacheBytes">Bytes of action documents the read cache holds at most (<see cref="DefaultCacheBytes"/>).</param>
    public SqliteActionStore(SqliteDatabase database, long cacheBytes = DefaultCacheBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cacheBytes);
        _database = database;
        _cacheCapacity = cacheBytes;
    }

    /// <summary>Bytes of action documents in the cache now (<c>invoker_action_cache_bytes</c>).</summary>
    public long CachedBytes => Volatile.Read(ref _cachedBytes);

    /// <summary>Actions in the cache now.</summary>
    public int CachedActions => _cache.Count;

    /// <summary>Creates the action, or replaces it when <paramref name="overwrite"/> is true (its revision goes up by one).</summary>
    /// <returns>The stored action; null when it exists and <paramref name="overwrite"/> is false (REST: 409).</returns>
    public async ValueTask<StoredAction?> PutAsync(string @namespace, string name, ActionSpec spec, bool overwrite, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(@namespace);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(spec);
        byte[] json = JsonModel.ToUtf8Bytes(spec);
        // The cache is updated inside the write, so concurrent puts of one action reach it in commit order.
        return await _database.WriteAsync((store: this, @namespace, name, spec, json, overwrite), static (session, put) =>
        {
            SqliteCommand command = session.Command(put.overwrite ? OverwriteSql : CreateSql, "$namespace", "$name", "$spec");
            command.Parameters[0].Value = put.@namespace;
            command.Parameters[1].Value = put.name;
            command.Parameters[2].Value = put.json;
            if (command.ExecuteScalar() is not long revision)
            {
                return null;
            }

            var action = new StoredAction(put.@namespace, put.name, revision, put.spec);
            put.store.Invalidate(put.@namespace, put.name, action, put.json.Length);
            return action;
        }, cancellationToken, alone: true).ConfigureAwait(false);
    }

    /// <exception cref="StoreRecordException">The stored spec is unreadable.</exception>
    public ValueTask<StoredAction?> GetAsync(string @namespace, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(@namespace);
        ArgumentNullException.ThrowIfNull(name);
        cancellationToken.ThrowIfCancellationRequested();
        if (_cache.TryGetValue((@namespace, name), out CachedAction? cached))
        {
            cached.Touch();
            return ValueTask.FromResult<StoredAction?>(cached.Action);
        }

        long generation = Volatile.Read(ref _generation);
        CachedAction? read = _database.Read((@namespace, name), static (session, key) =>
        {
            SqliteCommand get = session.Command(GetSql, "$namespace", "$name");
            get.Parameters[0].Value = key.@namespace;
            get.Parameters[1].Value = key.name;
            using SqliteDataReader reader = get.ExecuteReader();
            if (!reader.Read())
            {
                return null;
            }

            byte[] json = reader.GetFieldValue<byte[]>(1);
            return new CachedAction(Parse(key.@namespace, key.name, reader.GetInt64(0), json), json.Length);
        });
        if (read is not null)
        {
            lock (_cacheLock)
            {
                if (_generation == generation && read.Bytes <= _cacheCapacity && _cache.TryAdd((@namespace, name), read))
                {
                    Added(read);
                }
            }
        }

        return ValueTask.FromResult(read?.Action);
    }

    /// <summary>The actions of <paramref name="namespace"/> by name, skipping <paramref name="skip"/>, at most <paramref name="limit"/>.</summary>
    /// <exception cref="StoreRecordException">One of the specs is unreadable.</exception>
    public ValueTask<IReadOnlyList<StoredAction>> ListAsync(string @namespace, int limit, int skip, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(@namespace);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_database.Read((@namespace, limit, skip), static (session, query) =>
        {
            SqliteCommand list = session.Command(ListSql, "$namespace", "$limit", "$skip");
            list.Parameters[0].Value = query.@namespace;
            list.Parameters[1].Value = query.limit;
            list.Parameters[2].Value = query.skip;
            var actions = new List<StoredAction>();
            using SqliteDataReader reader = list.ExecuteReader();
            while (reader.Read())
            {
                actions.Add(Parse(query.@namespace, reader.GetString(0), reader.GetInt64(1), reader.GetFieldValue<byte[]>(2)));
            }

            return (IReadOnlyList<StoredAction>)actions;
        }));
    }

    /// <summary>
    /// The actions of <paramref name="package"/> in <paramref name="namespace"/> (those named "package/…") by name,
    /// skipping <paramref name="skip"/>, at most <paramref name="limit"/>.
    /// </summary>
    /// <exception cref="StoreRecordException">One of the specs is unreadable.</exception>
    public ValueTask<IReadOnlyList<StoredAction>> ListInPackageAsync(string @namespace, string package, int limit, int skip, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(@namespace);
        ArgumentNullException.ThrowIfNull(package);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_database.Read((@namespace, package, limit, skip), static (session, query) =>
        {
            SqliteCommand list = session.Command(ListInPackageSql, "$namespace", "$from", "$to", "$limit", "$skip");
            list.Parameters[0].Value = query.@namespace;
            list.Parameters[1].Value = query.package + "/";
            list.Parameters[2].Value = query.package + "0";
            list.Parameters[3].Value = query.limit;
            list.Parameters[4].Value = query.skip;
            var actions = new List<StoredAction>();
            using SqliteDataReader reader = list.ExecuteReader();
            while (reader.Read())
            {
                actions.Add(Parse(query.@namespace, reader.GetString(0), reader.GetInt64(1), reader.GetFieldValue<byte[]>(2)));
            }

            return (IReadOnlyList<StoredAction>)actions;
        }));
    }

    /// <summary>How many actions <paramref name="namespace"/> has (packages' included), or <paramref name="package"/> has when given.</summary>
    public ValueTask<long> CountAsync(string @namespace, string? package = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(@namespace);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_database.Read((@namespace, package), static (session, query) =>
        {
            SqliteCommand count;
            if (query.package is null)
            {
                count = session.Command(CountSql, "$namespace");
                count.Parameters[0].Value = query.@namespace;
            }
            else
            {
                count = session.Command(CountInPackageSql, "$namespace", "$from", "$to");
                count.Parameters[0].Value = query.@namespace;
                count.Parameters[1].Value = query.package + "/";
                count.Parameters[2].Value = query.package + "0";
            }

            return (long)count.ExecuteScalar()!;
        }));
    }

    /// <returns>True when the action existed.</returns>
    public async ValueTask<bool> DeleteAsync(string @namespace, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(@namespace);
        ArgumentNullException.ThrowIfNull(name);
        return await _database.WriteAsync((store: this, @namespace, name), static (session, key) =>
        {
            SqliteCommand delete = session.Command(DeleteSql, "$namespace", "$name");
            delete.Parameters[0].Value = key.@namespace;
            delete.Parameters[1].Value = key.name;
            bool deleted = delete.ExecuteNonQuery() == 1;
            key.store.Invalidate(key.@namespace, key.name, null, 0);
            return deleted;
        }, cancellationToken, alone: true).ConfigureAwait(false);
    }

    /// <summary>After a committed write: no read that began before it may cache what it read; <paramref name="current"/> is the new value.</summary>
    private void Invalidate(string @namespace, string name, StoredAction? current, long bytes)
    {
        lock (_cacheLock)
        {
            _generation++;
            if (_cache.TryRemove((@namespace, name), out CachedAction? old))
            {
                Volatile.Write(ref _cachedBytes, _cachedBytes - old.Bytes);
            }

            // One larger than the whole cache is not kept: it would only push every other out.
            if (current is not null && bytes <= _cacheCapacity)
            {
                var entry = new CachedAction(current, bytes);
                _cache[(@namespace, name)] = entry;
                Added(entry);
            }
        }
    }

    /// <summary>
    /// Counts a new entry (under <see cref="_cacheLock"/>) and, past the capacity, evicts the least recently used down to
    /// seven eighths of it: the scan of every entry is paid once per eighth of the capacity that turns over, not per add.
    /// The entry just added stays: it is the most recently used, and no larger than the capacity.
    /// </summary>
    private void Added(CachedAction entry)
    {
        Volatile.Write(ref _cachedBytes, _cachedBytes + entry.Bytes);
        if (_cachedBytes <= _cacheCapacity)
        {
            return;
        }

        long target = _cacheCapacity - (_cacheCapacity / 8);
        KeyValuePair<(string Namespace, string Name), CachedAction>[] entries = [.. _cache];
        Array.Sort(entries, static (a, b) => a.Value.LastUsed.CompareTo(b.Value.LastUsed));
        foreach (KeyValuePair<(string Namespace, string Name), CachedAction> oldest in entries)
        {
            if (_cachedBytes <= target)
            {
                break;
            }

            if (oldest.Value != entry && _cache.TryRemove(oldest))
            {
                Volatile.Write(ref _cachedBytes, _cachedBytes - oldest.Value.Bytes);
            }
        }
    }

    /// <summary>A cached action, its document's size, and when it was last read (a tick, written only when it changes).</summary>
    private sealed class CachedAction(StoredAction action, long bytes)
    {
        private long _lastUsed = Environment.TickCount64;

        public StoredAction Action { get; } = action;

        public long Bytes { get; } = bytes;

        /// <summary>Milliseconds since boot at the last read: enough order for LRU, and no shared counter to contend on.</summary>
        public long LastUsed => Volatile.Read(ref _lastUsed);

        public void Touch()
        {
            long now = Environment.TickCount64;
            if (Volatile.Read(ref _lastUsed) != now)
            {
                Volatile.Write(ref _lastUsed, now);
            }
        }
    }

    private static StoredAction Parse(string @namespace, string name, long revision, byte[] json)
    {
        try
        {
            return new StoredAction(@namespace, name, revision, JsonModel.Read<ActionSpec>(json));
        }
        catch (JsonReadException e)
        {
            throw new StoreRecordException("actions", $"{@namespace}/{name}", e);
        }
    }
}
