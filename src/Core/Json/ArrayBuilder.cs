using System.Buffers;

namespace Perf.Invoker.Json;

/// <summary>
/// Collects array elements of unknown count in pooled storage, then makes one exact-size array; an
/// empty JSON array costs nothing. Used by generated readers.
/// </summary>
public struct ArrayBuilder<T>
{
    /// <summary>Rented storage, or null before the first element.</summary>
    private T[]? _items;

    /// <summary>Elements added so far; ≤ _items.Length.</summary>
    private int _count;

    public void Add(T item)
    {
        if (_items is null || _count == _items.Length)
        {
            Grow();
        }

        _items![_count++] = item;
    }

    private void Grow()
    {
        T[] next = ArrayPool<T>.Shared.Rent(_items is null ? 4 : _items.Length * 2);
        if (_items is not null)
        {
            _items.AsSpan(0, _count).CopyTo(next);
            ArrayPool<T>.Shared.Return(_items, clearArray: true);
        }

        _items = next;
    }

    public T[] ToArray()
    {
        if (_items is null)
        {
            return [];
        }

        T[] result = _items.AsSpan(0, _count).ToArray();
        ArrayPool<T>.Shared.Return(_items, clearArray: true);
        _items = null;
        _count = 0;
        return result;
    }
}
