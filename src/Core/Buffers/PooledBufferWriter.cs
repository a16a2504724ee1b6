using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Perf.Invoker.Buffers;

/// <summary>
/// A growable byte buffer rented from <see cref="ArrayPool{T}.Shared"/> and kept across requests, so a
/// request or response body costs no allocation once the buffer has grown to its usual size. The
/// request side reserves a prefix for the head, which is written last, right before the body.
/// </summary>
internal sealed class PooledBufferWriter : IBufferWriter<byte>
{
    /// <summary>What <see cref="GetSpan"/> hands out when the caller gives no size hint.</summary>
    private const int MinimumFreeSpace = 256;

    /// <summary>The rented array, or empty before first use; bytes [0, _written) are content.</summary>
    private byte[] _array = [];

    /// <summary>End of the written bytes; 0 ≤ _written ≤ _array.Length.</summary>
    private int _written;

    public int WrittenCount => _written;

    public int Capacity => _array.Length;

    /// <summary>The whole array; bytes past <see cref="WrittenCount"/> are garbage.</summary>
    public byte[] Array => _array;

    public ReadOnlyMemory<byte> WrittenMemory => _array.AsMemory(0, _written);

    public ReadOnlySpan<byte> WrittenSpan => _array.AsSpan(0, _written);

    /// <summary>Forgets the content and reserves <paramref name="prefix"/> bytes at the start, which count as written.</summary>
    public void Reset(int prefix = 0)
    {
        Debug.Assert(prefix >= 0, "a prefix is a length");
        if (_array.Length < prefix + MinimumFreeSpace)
        {
            Resize(prefix + MinimumFreeSpace, copy: 0);
        }

        _written = prefix;
    }

    /// <summary>Makes room for <paramref name="count"/> more bytes without growing in steps.</summary>
    public void EnsureFree(int count)
    {
        if (_array.Length - _written < count)
        {
            Grow(count);
        }
    }

    public void Advance(int count)
    {
        if ((uint)count > (uint)(_array.Length - _written))
        {
            ThrowAdvancedPastSpan();
        }

        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        EnsureFree(Math.Max(sizeHint, 1));
        return _array.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        EnsureFree(Math.Max(sizeHint, 1));
        return _array.AsSpan(_written);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write(ReadOnlySpan<byte> bytes)
    {
        EnsureFree(bytes.Length);
        bytes.CopyTo(_array.AsSpan(_written));
        _written += bytes.Length;
    }

    /// <summary>Gives the array back to the pool when it grew past <paramref name="retainLimit"/>; keeps it otherwise.</summary>
    public void Trim(int retainLimit)
    {
        _written = 0;
        if (_array.Length > retainLimit)
        {
            byte[] old = _array;
            _array = [];
            ArrayPool<byte>.Shared.Return(old);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(int count)
    {
        long needed = (long)_written + count;
        if (needed > System.Array.MaxLength)
        {
            // Grow is out of line already, so the throw costs the hot path nothing here.
            throw new InvalidOperationException("A request or response body cannot exceed 2 GiB.");
        }

        int size = (int)Math.Min(Math.Max(needed, Math.Max((long)_array.Length * 2, MinimumFreeSpace)), System.Array.MaxLength);
        Resize(size, _written);
    }

    /// <summary>Out of line, so that <see cref="Advance"/> stays small enough to inline.</summary>
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowAdvancedPastSpan() =>
        throw new ArgumentOutOfRangeException("count", "Advanced past the span that was handed out.");

    private void Resize(int size, int copy)
    {
        byte[] next = ArrayPool<byte>.Shared.Rent(size);
        byte[] old = _array;
        old.AsSpan(0, copy).CopyTo(next);
        _array = next;
        if (old.Length != 0)
        {
            ArrayPool<byte>.Shared.Return(old);
        }
    }
}
