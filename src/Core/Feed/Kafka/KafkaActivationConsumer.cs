using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Confluent.Kafka;
using Perf.Invoker.Kafka;

namespace Perf.Invoker.Feed.Kafka;

/// <summary>
/// Reads <c>invoker&lt;N&gt;</c> (or <c>invoker&lt;N&gt;concurrent</c>) in the consumer group of the same name (docs/openwhisk.md §1) with manual commits:
/// nothing is committed unless <see cref="Commit"/> is called, so an offset is committed only once the feed
/// has completed it and everything below it (docs/architecture.md §3.3). A new consumer of the group starts at the
/// committed offset, or at the earliest one when none is committed.
/// </summary>
/// <remarks>
/// One poll thread owns the librdkafka consumer loop and runs the partition callbacks; messages reach
/// <see cref="ReceiveAsync"/> through a channel. The feed never pauses the consumer: when its credit window is full it
/// stops reading, the channel fills to <see cref="KafkaOptions.MaxBufferedMessages"/>, and when the reader does not take
/// it down to half within one poll (<see cref="ReaderDrains"/>) the poll thread pauses fetching by itself until it has.
/// <see cref="Pause"/> and <see cref="Resume"/> stop and restart fetching outright, for a caller that wants that; a
/// message already fetched may still arrive after a pause. Event handlers run on the poll thread: they may block
/// (a revocation handler waiting for its final commit) but must not dispose the consumer.
/// </remarks>
public sealed class KafkaActivationConsumer : IDisposable
{
    /// <summary>How long one poll waits; bounds how late a pause reaches new partitions and how long disposal waits.</summary>
    private static readonly TimeSpan s_pollTimeout = TimeSpan.FromMilliseconds(100);

    /// <summary>How long an assignment waits for a partition's high watermark before it treats every offset as possibly redelivered.</summary>
    private static readonly TimeSpan s_watermarkTimeout = TimeSpan.FromSeconds(5);

    private readonly IConsumer<Ignore, byte[]> _consumer;

    /// <summary>Fetched messages in log order per partition; written by the poll thread only.</summary>
    private readonly Channel<KafkaMessage> _messages = Channel.CreateUnbounded<KafkaMessage>(new UnboundedChannelOptions { SingleWriter = true });

    private readonly CancellationTokenSource _stop = new();

    /// <summary>Guards <see cref="_assigned"/>, <see cref="_paused"/> and <see cref="_pauseApplied"/>.</summary>
    private readonly Lock _gate = new();

    /// <summary>Partitions this member owns now; replaced, never mutated.</summary>
    private int[] _assigned = [];

    /// <summary>What <see cref="Pause"/> and <see cref="Resume"/> asked for: fetching stopped.</summary>
    private bool _paused;

    /// <summary>Whether <see cref="_paused"/> has been applied to every partition in <see cref="_assigned"/>.</summary>
    private bool _pauseApplied = true;

    /// <summary>Buffered messages at which the poll thread pauses fetching itself, and at which it resumes.</summary>
    private readonly int _highWater;
    private readonly int _lowWater;

    /// <summary>The buffer reached <see cref="_highWater"/>: fetching stopped until it drains to <see cref="_lowWater"/>; poll thread only.</summary>
    private volatile bool _backpressured;

    /// <summary>1 while the poll thread waits in <see cref="ReaderDrains"/>; the reader swaps it to 0 and sets <see cref="_drained"/> at the low water.</summary>
    private int _waitingForDrain;

    /// <summary>Set by the reader when the buffer it reads is down to <see cref="_lowWater"/> while the poll thread waits for that.</summary>
    private readonly ManualResetEventSlim _drained = new();

    /// <summary>Set by the assignment callback, cleared by the poll loop once librdkafka has assigned: poll thread only.</summary>
    private bool _assignedSincePoll;

    /// <summary>
    /// Per assigned partition, its high watermark when it was assigned: offsets below it may have been handled by a previous
    /// owner (<see cref="KafkaMessage.MayBeRedelivered"/>). Written by the assignment callback, read by the poll loop: poll thread only.
    /// </summary>
    private readonly Dictionary<int, long> _redeliveryEnd = [];

    /// <summary>
    /// Per assigned partition, the offset expected next: the committed one at assignment, then one past each message read;
    /// absent while unknown (no commit yet). A message above it means the broker skipped what was between (<see cref="Undelivered"/>).
    /// Poll thread only.
    /// </summary>
    private readonly Dictionary<int, long> _expected = [];

    private long _undelivered;

    private Thread? _pollThread;

    /// <summary>Dispose has begun: no new Start, Pause or Resume.</summary>
    private bool _disposed;

    /// <summary>The librdkafka consumer is closed: no more commits.</summary>
    private volatile bool _closed;

    /// <summary>Reads <c>invoker&lt;N&gt;</c> for <paramref name="invokerInstance"/> N.</summary>
    public KafkaActivationConsumer(KafkaOptions options, int invokerInstance)
        : this(options, (options ?? throw new ArgumentNullException(nameof(options))).InvokerTopic(invokerInstance))
    {
    }

    /// <summary>Reads <paramref name="topic"/> (prefix included, e.g. <see cref="KafkaOptions.ConcurrentInvokerTopic"/>) in the group of that name.</summary>
    public KafkaActivationConsumer(KafkaOptions options, string topic)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(topic);
        Topic = topic;
        _highWater = Math.Max(1, options.MaxBufferedMessages);
        _lowWater = _highWater / 2;
        var config = new ConsumerConfig
        {
            BootstrapServers = options.BootstrapServers,
            ClientId = options.ClientId,
            // OpenWhisk: the group id is the topic name.
            GroupId = Topic,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            // One activation may be as large as the largest message the controller produces.
            MaxPartitionFetchBytes = Math.Max(options.MaxMessageBytes, 1024 * 1024),
            FetchMaxBytes = Math.Max(options.MaxMessageBytes, 1024 * 1024) * 2,
        };
        KafkaConfig.ApplyExtra(config, options.Extra);
        _consumer = new ConsumerBuilder<Ignore, byte[]>(config)
            .SetPartitionsAssignedHandler((_, partitions) => OnAssigned(partitions))
            .SetPartitionsRevokedHandler((_, partitions) => OnRevoked(partitions))
            .SetPartitionsLostHandler((_, partitions) => OnRevoked(partitions))
            .SetErrorHandler((_, error) => Error?.Invoke(error))
            .SetLogHandler((_, message) => Log?.Invoke(message))
            .Build();
    }

    /// <summary>The topic read, prefix included; also the group id.</summary>
    public string Topic { get; }

    /// <summary>Partitions this member now owns; raised on the poll thread before any of their messages.</summary>
    public event Action<IReadOnlyList<int>>? PartitionsAssigned;

    /// <summary>
    /// Partitions this member no longer owns (a rebalance, or lost with the session); raised on the poll
    /// thread. Messages of theirs still unread are stale: another member will get them again.
    /// </summary>
    public event Action<IReadOnlyList<int>>? PartitionsRevoked;

    /// <summary>librdkafka's log lines (raised on its threads); dropped when nobody listens.</summary>
    public event Action<LogMessage>? Log;

    /// <summary>Errors librdkafka reports and recovers from by itself (a broker down), and per-message consume errors.</summary>
    public event Action<Error>? Error;

    /// <summary>
    /// Messages the broker no longer had when this member came to read them (raised on the poll thread, before the message
    /// after them is received). The topic's retention deleted them while they waited, so they are lost; librdkafka's
    /// <c>auto.offset.reset</c> would move on to the log's start without a word.
    /// </summary>
    public event Action<UndeliveredMessages>? Undelivered;

    /// <summary>Offsets skipped because the broker no longer had them, since the start (<see cref="Undelivered"/>).</summary>
    public long UndeliveredCount => Interlocked.Read(ref _undelivered);

    /// <summary>The partitions this member owns now.</summary>
    public IReadOnlyList<int> AssignedPartitions => Volatile.Read(ref _assigned);

    /// <summary>Messages fetched and not yet received.</summary>
    public int BufferedCount => _messages.Reader.Count;

    /// <summary>Whether <see cref="Pause"/> was called and no <see cref="Resume"/> since; the buffer limit pauses on its own besides.</summary>
    public bool IsPaused
    {
        get
        {
            lock (_gate)
            {
                return _paused;
            }
        }
    }

    /// <summary>Joins the group and starts fetching.</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_pollThread is not null)
        {
            throw new InvalidOperationException("The consumer is already started.");
        }

        _consumer.Subscribe(Topic);
        _pollThread = new Thread(Poll) { IsBackground = true, Name = "kafka-" + Topic };
        _pollThread.Start();
    }

    /// <summary>
    /// The next message. Fails with <see cref="ChannelClosedException"/> once disposed, or with the cause after a
    /// fatal client error or an exception from an event handler (which stop the poll thread).
    /// </summary>
    public ValueTask<KafkaMessage> ReceiveAsync(CancellationToken cancellationToken)
    {
        SignalIfDrained();
        return _messages.Reader.ReadAsync(cancellationToken);
    }

    /// <summary>A message already fetched, if any; never waits.</summary>
    public bool TryReceive(out KafkaMessage message)
    {
        SignalIfDrained();
        return _messages.Reader.TryRead(out message);
    }

    /// <summary>Stops fetching on every assigned partition, and on partitions assigned later, until <see cref="Resume"/>.</summary>
    public void Pause() => SetPaused(true);

    public void Resume() => SetPaused(false);

    /// <summary>
    /// Commits <paramref name="offset"/> for <paramref name="partition"/> in Kafka's sense: the next offset to
    /// read, i.e. the lowest one not yet completed. Waits for the broker. Returns false, committing nothing,
    /// when this member does not own the partition (any more): after a revocation that is normal.
    /// </summary>
    public bool Commit(int partition, long offset)
    {
        // Not _disposed: Dispose closes the consumer, which raises PartitionsRevoked, whose handler may commit.
        ObjectDisposedException.ThrowIf(_closed, this);
        if (Array.IndexOf(Volatile.Read(ref _assigned), partition) < 0)
        {
            return false;
        }

        try
        {
            _consumer.Commit([new TopicPartitionOffset(Topic, new Partition(partition), new Offset(offset))]);
            return true;
        }
        catch (KafkaException e) when (e.Error.Code is ErrorCode.IllegalGeneration or ErrorCode.UnknownMemberId
                                           or ErrorCode.RebalanceInProgress or ErrorCode.Local_State)
        {
            // The member lost the partition between the check and the commit.
            return false;
        }
    }

    /// <summary>The committed offset of a partition of this group, or null when none is (the broker is asked).</summary>
    public long? Committed(int partition, TimeSpan timeout)
    {
        var committed = _consumer.Committed([new TopicPartition(Topic, new Partition(partition))], timeout);
        long offset = committed.Count == 1 ? committed[0].Offset.Value : Offset.Unset.Value;
        return offset < 0 ? null : offset;
    }

    /// <summary>Leaves the group (its partitions go to the other members at once) and stops; commits nothing.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _stop.Cancel();
        _pollThread?.Join();
        try
        {
            _consumer.Close();
        }
        catch (KafkaException)
        {
            // Leaving the group failed (the broker is gone): the session timeout ends membership instead.
        }

        _closed = true;
        _consumer.Dispose();
        _messages.Writer.TryComplete();
        _stop.Dispose();
        _drained.Dispose();
    }

    private void Poll()
    {
        CancellationToken stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            ConsumeResult<Ignore, byte[]>? result;
            try
            {
                result = _consumer.Consume(s_pollTimeout);
            }
            catch (ConsumeException e)
            {
                Error?.Invoke(e.Error);
                continue;
            }
            catch (KafkaException e) when (!e.Error.IsFatal)
            {
                Error?.Invoke(e.Error);
                continue;
            }
#pragma warning disable CA1031 // A fatal client error or a throwing event handler ends the source; the reader sees why.
            catch (Exception e)
#pragma warning restore CA1031
            {
                _messages.Writer.TryComplete(e);
                return;
            }

            if (_assignedSincePoll)
            {
                // Confluent.Kafka assigns after the callback returns, so only now can new partitions be paused.
                _assignedSincePoll = false;
                lock (_gate)
                {
                    _pauseApplied = false;
                }
            }

            if (result is not null && !result.IsPartitionEOF)
            {
                int partition = result.Partition.Value;
                long offset = result.Offset.Value;
                bool mayBeRedelivered = !_redeliveryEnd.TryGetValue(partition, out long end) || offset < end;
                ref long expected = ref CollectionsMarshal.GetValueRefOrAddDefault(_expected, partition, out bool known);
                if (known && offset > expected)
                {
                    // invoker<N> is neither compacted nor written by transactions, so every offset holds a message: a jump
                    // means the fetch position was out of the log's range and librdkafka reset it to the log's start.
                    Interlocked.Add(ref _undelivered, offset - expected);
                    Undelivered?.Invoke(new UndeliveredMessages(Topic, partition, expected, offset - expected));
                }

                expected = offset + 1;
                bool written = _messages.Writer.TryWrite(new KafkaMessage(result.Topic, partition, offset, result.Message.Value ?? [], mayBeRedelivered));
                Debug.Assert(written, "an unbounded channel takes every message until it is completed");
            }

            // librdkafka drops what it fetched for a partition when it is paused and fetches again from the
            // last message handed out on resume, so pausing loses nothing and buffers at most the high water. (Unless the
            // broker deleted those messages meanwhile: then it starts at the log's start, and they are reported above.)
            int buffered = _messages.Reader.Count;
            if (_backpressured ? buffered <= _lowWater : buffered >= _highWater && !ReaderDrains())
            {
                _backpressured = !_backpressured;
                lock (_gate)
                {
                    _pauseApplied = false;
                }
            }

            ApplyPause();
        }
    }

    /// <summary>
    /// At the high water, waits up to one poll for the reader to take the buffer down to the low water. A reader that
    /// keeps up (a feed with credit) is not paused: a pause would throw away librdkafka's prefetch, and the resume waits
    /// for a poll of a consumer that has nothing to deliver, so each round trip cost a whole poll timeout (the feed
    /// ran at 600–1,600 activations/s; bench/results/feed.md). A reader that stopped (its window full) is paused as before.
    /// </summary>
    private bool ReaderDrains()
    {
        _drained.Reset();
        // Armed with a full fence before the count is read: a reader that drains after this sees the flag and signals.
        Interlocked.Exchange(ref _waitingForDrain, 1);
        bool drained = _messages.Reader.Count <= _lowWater || _drained.Wait(s_pollTimeout);
        Interlocked.Exchange(ref _waitingForDrain, 0);
        return drained;
    }

    /// <summary>The reader's side of <see cref="ReaderDrains"/>: one volatile read per message unless the poll thread waits.</summary>
    private void SignalIfDrained()
    {
        if (Volatile.Read(ref _waitingForDrain) != 0 && _messages.Reader.Count <= _lowWater && Interlocked.Exchange(ref _waitingForDrain, 0) == 1)
        {
            _drained.Set();
        }
    }

    private void OnAssigned(List<TopicPartition> partitions)
    {
        int[] added = ToNumbers(partitions);
        foreach (TopicPartition partition in partitions)
        {
            _redeliveryEnd[partition.Partition.Value] = RedeliveryEnd(partition);
        }

        ExpectCommitted(partitions);

        lock (_gate)
        {
            _assigned = [.. _assigned.Union(added)];
        }

        _assignedSincePoll = true;

        PartitionsAssigned?.Invoke(added);
    }

    /// <summary>
    /// The partition's high watermark now, before this member reads it: every message below it existed while another
    /// owner may have had the partition, every message from it on is produced after this member took over. If the
    /// broker does not answer, every offset counts as possibly redelivered: a needless lookup, never a double run.
    /// </summary>
    private long RedeliveryEnd(TopicPartition partition)
    {
        try
        {
            long high = _consumer.QueryWatermarkOffsets(partition, s_watermarkTimeout).High.Value;
            return high < 0 ? long.MaxValue : high;
        }
        catch (KafkaException e)
        {
            Error?.Invoke(e.Error);
            return long.MaxValue;
        }
    }

    /// <summary>
    /// Reading starts at the committed offset, so that is the one expected first: a first message above it means the broker
    /// deleted the ones between while the partition had no reader. Without an answer the first message sets it.
    /// </summary>
    private void ExpectCommitted(List<TopicPartition> partitions)
    {
        foreach (TopicPartition partition in partitions)
        {
            _expected.Remove(partition.Partition.Value);
        }

        try
        {
            foreach (TopicPartitionOffset committed in _consumer.Committed(partitions, s_watermarkTimeout))
            {
                if (committed.Offset.Value >= 0)
                {
                    _expected[committed.Partition.Value] = committed.Offset.Value;
                }
            }
        }
        catch (KafkaException e)
        {
            Error?.Invoke(e.Error);
        }
    }

    private void OnRevoked(List<TopicPartitionOffset> partitions)
    {
        int[] removed = new int[partitions.Count];
        for (int i = 0; i < removed.Length; i++)
        {
            removed[i] = partitions[i].Partition.Value;
            _redeliveryEnd.Remove(removed[i]);
            _expected.Remove(removed[i]);
        }

        // Before the partitions go: a handler may still commit what completed (IPartitionListener's final commit),
        // and librdkafka gives them up only when this callback returns.
        PartitionsRevoked?.Invoke(removed);
        lock (_gate)
        {
            _assigned = [.. _assigned.Except(removed)];
        }
    }

    private void SetPaused(bool paused)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_gate)
        {
            _paused = paused;
            _pauseApplied = false;
        }

        ApplyPause();
    }

    /// <summary>Brings librdkafka's pause state of the assigned partitions in line with <see cref="_paused"/> and the buffer.</summary>
    private void ApplyPause()
    {
        lock (_gate)
        {
            if (_pauseApplied)
            {
                return;
            }

            var partitions = _consumer.Assignment;
            if (partitions.Count > 0)
            {
                // _backpressured is the poll thread's; read elsewhere it is at worst one poll stale, and the
                // poll thread re-applies whenever it changes.
                if (_paused || _backpressured)
                {
                    _consumer.Pause(partitions);
                }
                else
                {
                    _consumer.Resume(partitions);
                }
            }

            _pauseApplied = true;
        }
    }

    private static int[] ToNumbers(List<TopicPartition> partitions)
    {
        int[] numbers = new int[partitions.Count];
        for (int i = 0; i < numbers.Length; i++)
        {
            numbers[i] = partitions[i].Partition.Value;
        }

        return numbers;
    }
}
