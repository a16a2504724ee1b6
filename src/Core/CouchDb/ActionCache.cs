using System.Diagnostics;
using Perf.Invoker.Model;

namespace Perf.Invoker.CouchDb;

/// <summary>Which document revision an action was built from: a revision never changes, so neither does its action.</summary>
internal readonly record struct ActionCacheKey(string Path, string Name, string Revision);

/// <summary>
/// Built actions by document revision, bounded by the bytes of their code (what makes an action big), least recently
/// used out first. OpenWhisk's cache is Caffeine with soft values; a byte bound says up front what it may hold.
/// </summary>
internal sealed class ActionCache(long capacityBytes)
{
    private readonly Lock _lock = new();

    /// <summary>Every cached entry, by key; each node is in <see cref="_recency"/>.</summary>
    private readonly Dictionary<ActionCacheKey, LinkedListNode<Entry>> _entries = [];

    /// <summary>Most recently used first.</summary>
    private readonly LinkedList<Entry> _recency = new();

    /// <summary>The sum of the entries' <see cref="Entry.Bytes"/>; at most the capacity once an add returns.</summary>
    private long _bytes;

    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    public bool TryGet(ActionCacheKey key, out ExecutableAction action)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out LinkedListNode<Entry>? node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                action = node.Value.Action;
                return true;
            }
        }

        action = null!;
        return false;
    }

    /// <summary>Keeps the action unless its code alone is over the capacity; evicts the least recently used to make room.</summary>
    public void Add(ActionCacheKey key, ExecutableAction action, long bytes)
    {
        if (bytes > capacityBytes)
        {
            return;
        }

        lock (_lock)
        {
            if (_entries.ContainsKey(key))
            {
                return;
            }

            _entries[key] = _recency.AddFirst(new Entry(key, action, bytes));
            _bytes += bytes;
            while (_bytes > capacityBytes)
            {
                Entry oldest = _recency.Last!.Value;
                _recency.RemoveLast();
                _entries.Remove(oldest.Key);
                _bytes -= oldest.Bytes;
            }

            Debug.Assert(_entries.Count == _recency.Count, "every entry is in the recency list once");
        }
    }

    private sealed record Entry(ActionCacheKey Key, ExecutableAction Action, long Bytes);
}
