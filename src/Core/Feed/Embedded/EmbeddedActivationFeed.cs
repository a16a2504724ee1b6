using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Perf.Invoker.Store;

namespace Perf.Invoker.Feed.Embedded;

/// <summary>
/// The standalone mode's feed (issue 5 part 5), with the Kafka feed's contract: a message the API accepted
/// is committed to the SQLite queue before <see cref="EnqueueAsync"/> returns, a <see cref="MessageFeed"/>
/// takes it as offset = sequence number on partition 0, and its commit (every sequence below the offset has
/// completed) deletes the completed messages. After a crash every message not yet committed is delivered
/// again; the activation store then suppresses the ones that had already run, as with Kafka.
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

    /// <summary>Taken from the queue, not yet handed to the feed; touched only by the feed's one poll loop.</summary>
    private readonly Queue<QueuedMessage> _taken = new(BatchSize);

    /// <summary>The highest sequence number handed out; 0 at start, so a restart replays everything not committed.</summary>
    private long _lastTaken;

    /// <summary>
    /// The last sequence number in the queue when this feed opened it: the messages up to it were accepted by a
    /// predecessor process, which may have run them before it crashed (they are <see cref="FeedMessage.MayBeRedelivered"/>).
    /// Every later one was enqueued through this feed and is new.
    /// </summary>
    private readonly long _recoveredThrough;

    public EmbeddedActivationFeed(SqliteActivationQueue queue)
    {
        _queue = queue;
        _recoveredThrough = queue.LastSequence();
    }

    /// <summary>Appends an activation message; when this completes the message survives a crash of the process.</summary>
    /// <returns>The message's sequence number (its offset in the feed).</returns>
    /// <remarks>The group commit answers asynchronously, so this await's state machine is pooled rather than allocated per activation.</remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<long> EnqueueAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        long sequence = await _queue.EnqueueAsync(message, cancellationToken).ConfigureAwait(false);
        _arrivals.Writer.TryWrite(0);
        return sequence;
    }

    /// <summary>The embedded feed has one partition, assigned for the life of the process.</summary>
    public void SetPartitionListener(IPartitionListener listener) => listener.PartitionsAssigned([Partition]);

    public async ValueTask<FeedMessage> ReceiveAsync(CancellationToken cancellationToken)
    {
        QueuedMessage next;
        while (!_taken.TryDequeue(out next))
        {
            // Consume the pending signal before querying: an enqueue committed after the query sets it again,
            // so the wait below cannot miss a message.
            _arrivals.Reader.TryRead(out _);
            foreach (QueuedMessage message in await _queue.TakeAsync(_lastTaken, BatchSize, cancellationToken).ConfigureAwait(false))
            {
                _taken.Enqueue(message);
                _lastTaken = message.Sequence;
            }

            if (_taken.Count == 0)
            {
                await _arrivals.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return new FeedMessage(Partition, next.Sequence, next.Message, MayBeRedelivered: next.Sequence <= _recoveredThrough);
    }

    /// <summary>Deletes every message below <paramref name="offset"/>: the feed commits only what has completed.</summary>
    public ValueTask CommitAsync(int partition, long offset, CancellationToken cancellationToken) =>
        _queue.CompleteBelowAsync(offset, cancellationToken);
}
