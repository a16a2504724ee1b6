using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Perf.Invoker.Store;

namespace Perf.Invoker.Feed.Embedded;

/// <summary>
/// The standalone mode's feed (issue 5 part 5), with the Kafka feed's contract: a message the API accepted
/// is committed to the SQLite queue before <see cref="EnqueueAsync"/> returns, a <see cref="MessageFeed"/>
/// takes it as offset = sequence number on partition 0, and its commit (every sequence below the offset has
/// completed) deletes the completed messages. After a crash every message not yet committed is delivered
/// again; the activation store then suppresses the ones that had already run, as with Kafka. The queue holds at most
/// <see cref="Capacity"/> messages: past it an enqueue is refused (<see cref="ActivationQueueFullException"/>), so a
/// flood cannot fill the disk; the count is kept in memory (enqueues add, commits subtract what they deleted).
/// </summary>
public sealed class EmbeddedActivationFeed : IMessageSource, IOffsetCommitter
{
    /// <summary>The embedded feed's only partition.</summary>
    public const int Partition = 0;

    /// <summary>Messages read from the queue per query; the feed asks for one only while it has a credit.</summary>
    private const int BatchSize = 64;

    private readonly SqliteActivationQueue _queue;

    /// <summary>
    /// "Something was enqueued since you last looked": one pending signal at most (a second write is dropped),
    /// so an enqueue costs no allocation and a burst wakes the reader once.
    /// </summary>
    private readonly Channel<byte> _arrivals = Channel.CreateBounded<byte>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    /// <summary>Read from the queue, not yet handed to the feed; touched only by the feed's one poll loop.</summary>
    private readonly Queue<QueuedMessage> _taken = new(BatchSize);

    /// <summary>
    /// This process's enqueues, handed over in memory once committed, so the feed does not read them back; what it
    /// lacks (and everything a predecessor left, since it starts at 0) is read from the queue.
    /// </summary>
    private readonly CommittedMessages _committed;

    /// <summary>Whether the feed has read the queue once; touched only by the feed's one poll loop.</summary>
    private bool _queueRead;

    /// <summary>
    /// The last sequence number in the queue when this feed opened it: the messages up to it were accepted by a
    /// predecessor process, which may have run them before it crashed (they are <see cref="FeedMessage.MayBeRedelivered"/>).
    /// Every later one was enqueued through this feed and is new.
    /// </summary>
    private readonly long _recoveredThrough;

    /// <summary>Messages in the queue (accepted, not yet committed) plus enqueues under way; at most <see cref="Capacity"/>.</summary>
    private long _queued;

    /// <param name="capacity">Messages the queue may hold; a start may find more (a smaller capacity than before), and then takes none until it is below.</param>
    public EmbeddedActivationFeed(SqliteActivationQueue queue, long capacity = long.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _queue = queue;
        _recoveredThrough = queue.LastSequence();
        _committed = new CommittedMessages(_recoveredThrough);
        _queued = queue.CountAsync().AsTask().GetAwaiter().GetResult();
        Capacity = capacity;
    }

    /// <summary>The most messages the queue holds: accepted activations not yet completed.</summary>
    public long Capacity { get; }

    /// <summary>Messages in the queue now, enqueues under way included.</summary>
    public long Queued => Volatile.Read(ref _queued);

    /// <summary>Whether an enqueue now would be refused; a cheap check before the work of building a message.</summary>
    public bool IsFull => Queued >= Capacity;

    /// <summary>
    /// Appends an activation message; when this completes the message survives a crash of the process. The feed takes the
    /// message's bytes as they are: the caller must not change them afterwards.
    /// </summary>
    /// <returns>The message's sequence number (its offset in the feed).</returns>
    /// <exception cref="ActivationQueueFullException">The queue holds <see cref="Capacity"/> messages; nothing was written.</exception>
    /// <remarks>The group commit answers asynchronously, so this await's state machine is pooled rather than allocated per activation.</remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<long> EnqueueAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        // Reserved before the write, so concurrent enqueues cannot together pass the capacity.
        if (Interlocked.Increment(ref _queued) > Capacity)
        {
            Interlocked.Decrement(ref _queued);
            throw new ActivationQueueFullException(Capacity);
        }

        long sequence;
        try
        {
            sequence = await _queue.EnqueueAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Not committed (a failed or cancelled group commit): the reservation goes back.
            Interlocked.Decrement(ref _queued);
            throw;
        }

        _committed.Add(sequence, message);
        _arrivals.Writer.TryWrite(0);
        return sequence;
    }

    /// <summary>The embedded feed has one partition, assigned for the life of the process.</summary>
    public void SetPartitionListener(IPartitionListener listener) => listener.PartitionsAssigned([Partition]);

    public async ValueTask<FeedMessage> ReceiveAsync(CancellationToken cancellationToken)
    {
        QueuedMessage next;
        while (!_taken.TryDequeue(out next) && !_committed.TryTakeNext(out next))
        {
            // Consume the pending signal before looking again: an enqueue handed over after the look sets it again,
            // so the wait below cannot miss a message.
            _arrivals.Reader.TryRead(out _);
            if (_committed.TryTakeNext(out next))
            {
                break;
            }

            // The first receive reads the queue whatever the ring says: a queue the feed cannot read (a damaged store)
            // stops the feed, and with it the invoker, at start rather than at the first message it was given.
            if (_committed.QueueAhead || !_queueRead)
            {
                IReadOnlyList<QueuedMessage> read = await _queue.TakeAsync(_committed.Taken, BatchSize, cancellationToken).ConfigureAwait(false);
                _queueRead = true;
                foreach (QueuedMessage message in read)
                {
                    _taken.Enqueue(message);
                }

                if (read.Count > 0)
                {
                    _committed.TookFromQueue(read[^1].Sequence);
                    continue;
                }
            }

            await _arrivals.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
        }

        return new FeedMessage(Partition, next.Sequence, next.Message, MayBeRedelivered: next.Sequence <= _recoveredThrough);
    }

    /// <summary>Deletes every message below <paramref name="offset"/>: the feed commits only what has completed.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask CommitAsync(int partition, long offset, CancellationToken cancellationToken)
    {
        int completed = await _queue.CompleteBelowAsync(offset, cancellationToken).ConfigureAwait(false);
        Interlocked.Add(ref _queued, -completed);
    }
}

/// <summary>The embedded queue holds its capacity of activations: the API answers 503 (the system is overloaded).</summary>
public sealed class ActivationQueueFullException(long capacity)
    : Exception($"The activation queue holds its capacity of {capacity} messages.")
{
    public long Capacity { get; } = capacity;
}
