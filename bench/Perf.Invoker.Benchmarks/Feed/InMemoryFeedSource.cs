using Perf.Invoker.Feed;

namespace Perf.Invoker.Benchmarks.Feed;

/// <summary>
/// Hands out a fixed run of messages synchronously (offsets increasing per partition, partitions interleaved), then
/// stops the feed: the cost measured is the feed's own, not a broker's.
/// </summary>
internal sealed class InMemoryFeedSource : IMessageSource
{
    private readonly FeedMessage[] _messages;
    private int _next;
    private CancellationTokenSource _stop = new();

    public InMemoryFeedSource(int partitions, int count)
    {
        _messages = new FeedMessage[count];
        byte[] payload = "{\"activationId\":\"bench\"}"u8.ToArray();
        for (int i = 0; i < count; i++)
        {
            _messages[i] = new FeedMessage(i % partitions, i / partitions, payload, MayBeRedelivered: false);
        }
    }

    public int Count => _messages.Length;

    /// <summary>Rewinds to the first message with a fresh stop token, for the next invocation.</summary>
    public CancellationToken Reset()
    {
        _next = 0;
        _stop.Dispose();
        _stop = new CancellationTokenSource();
        return _stop.Token;
    }

    public void SetPartitionListener(IPartitionListener listener)
    {
    }

    public ValueTask<FeedMessage> ReceiveAsync(CancellationToken cancellationToken)
    {
        if (_next < _messages.Length)
        {
            return new ValueTask<FeedMessage>(_messages[_next++]);
        }

        // The run is over: stop the feed the way the host does, by cancelling its token.
        _stop.Cancel();
        return ValueTask.FromCanceled<FeedMessage>(_stop.Token);
    }
}

/// <summary>A commit that costs nothing, so that the rows measure the bookkeeping around it.</summary>
internal sealed class NullOffsetCommitter : IOffsetCommitter
{
    public long Commits { get; private set; }

    public ValueTask CommitAsync(int partition, long offset, CancellationToken cancellationToken)
    {
        Commits++;
        return default;
    }
}
