using Perf.Invoker.Store;

namespace Perf.Invoker.Feed.Embedded;

/// <summary>
/// Messages this process committed to the durable queue that its feed has not taken yet, kept in memory so the feed takes
/// each one without reading it back from SQLite (docs/performance.md §3). A cache in front of the queue, never the truth:
/// what it does not hold — a predecessor's messages, one handed over while the ring was full, one whose commit has not
/// been handed over yet — the feed reads from the queue, and <see cref="QueueAhead"/> says when it must.
/// </summary>
/// <remarks>
/// A ring indexed by sequence number: the queue numbers messages densely and in commit order, so the feed's next message
/// sits in slot <c>(taken + 1) mod size</c> and is found in one probe, with no allocation per message. Enqueues hand over
/// from any thread, the feed takes from its one poll loop; one uncontended lock orders them.
/// </remarks>
internal sealed class CommittedMessages
{
    /// <summary>Slots in the ring: messages committed ahead of the feed beyond this wait in the queue alone.</summary>
    public const int Capacity = 4096;

    private const long Mask = Capacity - 1;

    private readonly QueuedMessage[] _ring = new QueuedMessage[Capacity];

    private readonly Lock _lock = new();

    /// <summary>The highest sequence number the feed has taken, from the ring or from the queue.</summary>
    private long _taken;

    /// <summary>The highest sequence number known to be committed: handed over, or in the queue when it was opened.</summary>
    private long _committed;

    /// <param name="lastCommitted">The queue's highest sequence number when it was opened; the feed reads those messages from the queue.</param>
    public CommittedMessages(long lastCommitted) => _committed = lastCommitted;

    /// <summary>The highest sequence number the feed has taken; 0 before the first.</summary>
    public long Taken
    {
        get
        {
            lock (_lock)
            {
                return _taken;
            }
        }
    }

    /// <summary>Whether the queue holds committed messages past <see cref="Taken"/> that the ring cannot give: the feed reads them from the queue.</summary>
    public bool QueueAhead
    {
        get
        {
            lock (_lock)
            {
                return _committed > _taken;
            }
        }
    }

    /// <summary>
    /// Hands over a message once its enqueue has committed. The bytes must not change afterwards: the feed hands them to
    /// the handler as they are. Dropped (left to the queue) when the feed has read it from there already, or when its slot
    /// still holds a message the feed has not taken (the feed is a whole ring behind).
    /// </summary>
    public void Add(long sequence, ReadOnlyMemory<byte> message)
    {
        lock (_lock)
        {
            _committed = Math.Max(_committed, sequence);
            ref QueuedMessage slot = ref _ring[sequence & Mask];
            if (sequence > _taken && slot.Sequence <= _taken)
            {
                slot = new QueuedMessage(sequence, message);
            }
        }
    }

    /// <summary>Takes the feed's next message, the one after <see cref="Taken"/>, when the ring holds it.</summary>
    public bool TryTakeNext(out QueuedMessage message)
    {
        lock (_lock)
        {
            ref QueuedMessage slot = ref _ring[(_taken + 1) & Mask];
            if (slot.Sequence != _taken + 1)
            {
                message = default;
                return false;
            }

            message = slot;
            slot = default;
            _taken = message.Sequence;
            return true;
        }
    }

    /// <summary>The feed read the messages up to <paramref name="sequence"/> from the queue: their copies here are let go.</summary>
    public void TookFromQueue(long sequence)
    {
        lock (_lock)
        {
            for (long taken = _taken + 1; taken <= sequence && taken <= _taken + Capacity; taken++)
            {
                ref QueuedMessage slot = ref _ring[taken & Mask];
                if (slot.Sequence == taken)
                {
                    slot = default;
                }
            }

            _taken = Math.Max(_taken, sequence);
            _committed = Math.Max(_committed, sequence);
        }
    }
}
