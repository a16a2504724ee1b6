using System.Diagnostics;
using System.Numerics;

namespace Perf.Invoker.Feed;

/// <summary>
/// The offsets of one partition between dispatch and completion, and the offset that may be committed: the lowest
/// one not yet completed, or one past the last tracked when all have completed (Kafka commits the next offset to
/// consume; docs/architecture.md §3 invariant 3). Completions arrive in any order.
/// </summary>
/// <remarks>
/// In-flight offsets are bits in a ring over <c>[committable, next)</c>: tracking sets a bit, completing clears it,
/// and completing the lowest one moves the commit point to the next set bit a word (64 offsets) at a time. The ring
/// only grows (doubling) when the span between the oldest incomplete and the newest offset passes its size, so in a
/// steady state nothing is allocated. Not thread-safe: the feed serializes access per partition.
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class OffsetTracker
{
    private const int BitsPerWord = 64;

    /// <summary>One bit per offset of the window, at <c>offset &amp; _mask</c>: set iff that offset is in flight. Bits outside <c>[_committable, _next)</c> are all clear.</summary>
    private ulong[] _bits;

    /// <summary><c>_bits.Length × 64 − 1</c>; the window <c>_next − _committable</c> never exceeds <c>_mask + 1</c>.</summary>
    private long _mask;

    /// <summary>The lowest in-flight offset, or <c>_next</c> when none is (−1 before the first); never decreases.</summary>
    private long _committable = -1;

    /// <summary>One past the highest offset tracked (−1 before the first); <c>_committable ≤ _next</c>.</summary>
    private long _next = -1;

    /// <summary>Offsets tracked and not completed; 0 iff <c>_committable == _next</c>.</summary>
    private int _inFlight;

    /// <param name="initialCapacity">Offsets the window spans before it first grows; rounded up to a multiple of 64.</param>
    public OffsetTracker(int initialCapacity = 256)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(initialCapacity, 1);
        int words = (int)BitOperations.RoundUpToPowerOf2((uint)((initialCapacity + BitsPerWord - 1) / BitsPerWord));
        _bits = new ulong[words];
        _mask = ((long)words * BitsPerWord) - 1;
    }

    /// <summary>Offsets dispatched and not yet completed.</summary>
    public int InFlight => _inFlight;

    /// <summary>Whether any offset was tracked yet; before that there is nothing to commit.</summary>
    public bool HasStarted => _next >= 0;

    /// <summary>
    /// The offset to commit (Kafka: the next offset to consume): the lowest in-flight offset, or one past the last
    /// tracked when none is in flight; −1 before anything was tracked.
    /// </summary>
    public long Committable => _committable;

    /// <summary>Offsets the window spans now without growing.</summary>
    public long Capacity => _mask + 1;

    /// <summary>
    /// Records <paramref name="offset"/> as dispatched. Offsets must increase; offsets skipped since the last one
    /// (compaction, transaction markers) will never arrive and count as completed.
    /// </summary>
    public void Track(long offset)
    {
        if (!TryTrack(offset))
        {
            FeedUsageErrors.ThrowOffsetNotIncreasing(offset, _next);
        }
    }

    /// <summary>
    /// <see cref="Track"/>, but returns false and changes nothing for an offset at or below one already tracked (a
    /// source that re-delivers after a seek: that offset completed or is running, so it must not run again here).
    /// </summary>
    public bool TryTrack(long offset)
    {
        if (offset < _next || offset < 0)
        {
            return false;
        }

        if (_inFlight == 0)
        {
            // Nothing below holds the commit point back: jump over the gap instead of growing the window to span it.
            _committable = offset;
        }
        else if (offset - _committable > _mask)
        {
            Grow(offset - _committable + 1);
        }

        _bits[(offset & _mask) >> 6] |= 1UL << (int)(offset & 63);
        _next = offset + 1;
        _inFlight++;
        AssertInvariants();
        return true;
    }

    /// <summary>
    /// Records <paramref name="offset"/> as completed, however it ended. Returns true when this moved
    /// <see cref="Committable"/> (it was the lowest in-flight offset).
    /// </summary>
    /// <exception cref="InvalidOperationException">The offset is not in flight: never tracked, or completed twice.</exception>
    public bool Complete(long offset)
    {
        ulong bit = 1UL << (int)(offset & 63);
        ref ulong word = ref _bits[(offset & _mask) >> 6];
        if (offset < _committable || offset >= _next || (word & bit) == 0)
        {
            FeedUsageErrors.ThrowOffsetNotInFlight(offset);
        }

        word &= ~bit;
        _inFlight--;
        if (offset != _committable)
        {
            AssertInvariants();
            return false;
        }

        _committable = _inFlight == 0 ? _next : NextInFlight(offset + 1);
        AssertInvariants();
        return true;
    }

    public override string ToString() =>
        HasStarted ? $"{_inFlight} in flight, committable {_committable}, next {_next}" : "nothing tracked";

    /// <summary>The lowest in-flight offset at or above <paramref name="from"/>; one must exist below <c>_next</c>.</summary>
    private long NextInFlight(long from)
    {
        long offset = from;
        while (true)
        {
            int bit = (int)(offset & 63);
            // The window's offsets map to consecutive bits (wrapping at the ring's end, which is word aligned), and bits
            // outside the window are clear, so the first set bit from here on is the next in-flight offset.
            ulong rest = _bits[(offset & _mask) >> 6] >> bit;
            if (rest != 0)
            {
                return offset + BitOperations.TrailingZeroCount(rest);
            }

            offset += BitsPerWord - bit;
            Debug.Assert(offset < _next, "an in-flight offset exists below _next");
        }
    }

    /// <summary>Rebuilds the ring with room for <paramref name="span"/> offsets from the commit point; rare, so bit by bit.</summary>
    private void Grow(long span)
    {
        long capacity = _mask + 1;
        while (capacity < span)
        {
            capacity *= 2;
        }

        var bits = new ulong[capacity / BitsPerWord];
        long mask = capacity - 1;
        for (long offset = _committable; offset < _next; offset++)
        {
            if ((_bits[(offset & _mask) >> 6] & (1UL << (int)(offset & 63))) != 0)
            {
                bits[(offset & mask) >> 6] |= 1UL << (int)(offset & 63);
            }
        }

        _bits = bits;
        _mask = mask;
    }

    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        Debug.Assert(_committable <= _next, "the commit point never passes the next offset");
        Debug.Assert(_next - _committable <= _mask + 1, "the window fits the ring");
        Debug.Assert((_inFlight == 0) == (_committable == _next), "nothing in flight iff the commit point is at the next offset");
        Debug.Assert(_inFlight == 0 || (_bits[(_committable & _mask) >> 6] & (1UL << (int)(_committable & 63))) != 0, "the commit point is in flight");
    }
}
