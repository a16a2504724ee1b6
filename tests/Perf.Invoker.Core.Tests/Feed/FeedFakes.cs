using System.Collections.Concurrent;
using System.Threading.Channels;
using Perf.Invoker.Feed;

namespace Perf.Invoker.Tests.Feed;

/// <summary>An in-memory source that counts how often the feed polls it.</summary>
internal sealed class CountingSource : IMessageSource
{
    private readonly Channel<FeedMessage> _messages = Channel.CreateUnbounded<FeedMessage>();
    private int _receiveCalls;

    public int ReceiveCalls => Volatile.Read(ref _receiveCalls);

    public IPartitionListener? Listener { get; private set; }

    public void SetPartitionListener(IPartitionListener listener) => Listener = listener;

    public ValueTask<FeedMessage> ReceiveAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _receiveCalls);
        return _messages.Reader.ReadAsync(cancellationToken);
    }

    public void Add(int partition, long offset) => _messages.Writer.TryWrite(new FeedMessage(partition, offset, ReadOnlyMemory<byte>.Empty, MayBeRedelivered: true));

    /// <summary>Offsets <c>0..count-1</c> on each of <paramref name="partitions"/> partitions, interleaved.</summary>
    public void AddRange(int partitions, int count)
    {
        for (int offset = 0; offset < count; offset++)
        {
            for (int partition = 0; partition < partitions; partition++)
            {
                Add(partition, offset);
            }
        }
    }
}

/// <summary>Hands out offsets <c>0..messages-1</c> of partition 0, then fails like a broken connection.</summary>
internal sealed class FaultingSource(int messages) : IMessageSource
{
    private int _next;

    public void SetPartitionListener(IPartitionListener listener)
    {
    }

    public ValueTask<FeedMessage> ReceiveAsync(CancellationToken cancellationToken) =>
        _next < messages
            ? new(new FeedMessage(0, _next++, ReadOnlyMemory<byte>.Empty, MayBeRedelivered: true))
            : ValueTask.FromException<FeedMessage>(new IOException("the broker went away"));
}

/// <summary>Records every commit, in order, per partition; checks that each partition's commits only go forward.</summary>
internal sealed class RecordingCommitter : IOffsetCommitter
{
    private readonly ConcurrentDictionary<int, List<long>> _commits = new();

    public Func<int, long, Exception?>? Fault { get; set; }

    public ValueTask CommitAsync(int partition, long offset, CancellationToken cancellationToken)
    {
        if (Fault?.Invoke(partition, offset) is { } fault)
        {
            return ValueTask.FromException(fault);
        }

        List<long> list = _commits.GetOrAdd(partition, _ => []);
        lock (list)
        {
            Assert.True(list.Count == 0 || list[^1] < offset, $"partition {partition}: commit {offset} after {(list.Count == 0 ? -1 : list[^1])}");
            list.Add(offset);
        }

        return ValueTask.CompletedTask;
    }

    public IReadOnlyList<long> CommitsOf(int partition)
    {
        if (!_commits.TryGetValue(partition, out List<long>? list))
        {
            return [];
        }

        lock (list)
        {
            return [.. list];
        }
    }

    public long LastCommitOf(int partition) => CommitsOf(partition) is [.., long last] ? last : -1;
}

/// <summary>A handler whose activations end when the test says so.</summary>
internal sealed class HeldHandler
{
    private readonly ConcurrentDictionary<(int Partition, long Offset), TaskCompletionSource> _held = new();
    private int _started;

    public int Started => Volatile.Read(ref _started);

    public Task HandleAsync(FeedMessage message)
    {
        Interlocked.Increment(ref _started);
        return Held(message.Partition, message.Offset).Task;
    }

    public void Succeed(int partition, long offset) => Held(partition, offset).SetResult();

    public void Fail(int partition, long offset) => Held(partition, offset).SetException(new InvalidOperationException("the activation failed"));

    public void Cancel(int partition, long offset) => Held(partition, offset).SetCanceled();

    private TaskCompletionSource Held(int partition, long offset) =>
        _held.GetOrAdd((partition, offset), _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
