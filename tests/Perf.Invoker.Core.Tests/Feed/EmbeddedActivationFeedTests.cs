using System.Text;
using Perf.Invoker.Feed;
using Perf.Invoker.Feed.Embedded;
using Perf.Invoker.Store;
using Perf.Invoker.Tests.Store;

namespace Perf.Invoker.Tests.Feed;

[Trait("Category", "Unit")]
public sealed class EmbeddedActivationFeedTests
{
    [Fact]
    public async Task Messages_come_out_in_the_order_they_were_accepted_with_their_sequence_as_offset()
    {
        using var temp = new TempDatabase();
        var feed = new EmbeddedActivationFeed(new SqliteActivationQueue(temp.Database));
        var sequences = new List<long>();
        for (int i = 0; i < 150; i++)
        {
            sequences.Add(await feed.EnqueueAsync(Encoding.UTF8.GetBytes($"m{i}")));
        }

        for (int i = 0; i < 150; i++)
        {
            FeedMessage message = await feed.ReceiveAsync(CancellationToken.None);
            Assert.Equal(EmbeddedActivationFeed.Partition, message.Partition);
            Assert.Equal(sequences[i], message.Offset);
            Assert.Equal($"m{i}", Encoding.UTF8.GetString(message.Value.Span));
        }
    }

    [Fact]
    public async Task Messages_accepted_further_ahead_of_the_feed_than_it_keeps_in_memory_come_out_from_the_queue_in_order()
    {
        using var temp = new TempDatabase();
        var feed = new EmbeddedActivationFeed(new SqliteActivationQueue(temp.Database));
        int count = CommittedMessages.Capacity + 100;
        var sequences = new List<long>();
        for (int i = 0; i < count; i++)
        {
            sequences.Add(await feed.EnqueueAsync(Encoding.UTF8.GetBytes($"m{i}")));
        }

        for (int i = 0; i < count; i++)
        {
            FeedMessage message = await feed.ReceiveAsync(CancellationToken.None);
            Assert.Equal(sequences[i], message.Offset);
            Assert.Equal($"m{i}", Encoding.UTF8.GetString(message.Value.Span));
        }

        // Past the backlog, hand-overs in memory again.
        long next = await feed.EnqueueAsync("after"u8.ToArray());
        Assert.Equal(next, (await feed.ReceiveAsync(CancellationToken.None)).Offset);
    }

    [Fact]
    public async Task Messages_enqueued_concurrently_come_out_once_each_in_sequence_order()
    {
        using var temp = new TempDatabase();
        var feed = new EmbeddedActivationFeed(new SqliteActivationQueue(temp.Database));
        long[] sequences = await Task.WhenAll(Enumerable.Range(0, 2000).Select(i => Task.Run(() => feed.EnqueueAsync(Encoding.UTF8.GetBytes($"m{i}")).AsTask())));

        long previous = 0;
        foreach (long _ in sequences)
        {
            FeedMessage message = await feed.ReceiveAsync(CancellationToken.None);
            Assert.True(message.Offset > previous, $"{message.Offset} after {previous}");
            previous = message.Offset;
        }

        Assert.Equal(sequences.Max(), previous);
    }

    [Fact]
    public async Task Messages_recovered_from_the_queue_at_start_may_be_redelivered_and_those_accepted_since_may_not()
    {
        using var temp = new TempDatabase();
        var queue = new SqliteActivationQueue(temp.Database);
        await new EmbeddedActivationFeed(queue).EnqueueAsync("accepted before a crash"u8.ToArray());

        var restarted = new EmbeddedActivationFeed(queue);
        await restarted.EnqueueAsync("accepted after the restart"u8.ToArray());

        Assert.True((await restarted.ReceiveAsync(CancellationToken.None)).MayBeRedelivered);
        Assert.False((await restarted.ReceiveAsync(CancellationToken.None)).MayBeRedelivered);
    }

    [Fact]
    public async Task A_receive_waiting_on_an_empty_queue_wakes_for_the_next_enqueue()
    {
        using var temp = new TempDatabase();
        var feed = new EmbeddedActivationFeed(new SqliteActivationQueue(temp.Database));

        ValueTask<FeedMessage> waiting = feed.ReceiveAsync(CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        long sequence = await feed.EnqueueAsync("late"u8.ToArray());

        Assert.Equal(sequence, (await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(30))).Offset);
    }

    [Fact]
    public async Task A_commit_deletes_only_what_lies_below_its_offset_and_a_restart_replays_the_rest()
    {
        using var temp = new TempDatabase();
        var feed = new EmbeddedActivationFeed(new SqliteActivationQueue(temp.Database));
        for (int i = 0; i < 10; i++)
        {
            await feed.EnqueueAsync(Encoding.UTF8.GetBytes($"m{i}"));
        }

        var taken = new List<FeedMessage>();
        for (int i = 0; i < 10; i++)
        {
            taken.Add(await feed.ReceiveAsync(CancellationToken.None));
        }

        await feed.CommitAsync(EmbeddedActivationFeed.Partition, taken[6].Offset, CancellationToken.None);

        // A crash: the process ends without committing m6..m9; the next one is delivered them again.
        var restarted = new EmbeddedActivationFeed(new SqliteActivationQueue(temp.Reopen()));
        for (int i = 6; i < 10; i++)
        {
            Assert.Equal($"m{i}", Encoding.UTF8.GetString((await restarted.ReceiveAsync(CancellationToken.None)).Value.Span));
        }

        Assert.Equal(4, await new SqliteActivationQueue(temp.Database).CountAsync());
    }

    [Fact]
    public async Task A_receive_is_cancelled_by_its_token()
    {
        using var temp = new TempDatabase();
        var feed = new EmbeddedActivationFeed(new SqliteActivationQueue(temp.Database));
        using var stop = new CancellationTokenSource();

        ValueTask<FeedMessage> waiting = feed.ReceiveAsync(stop.Token);
        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await waiting);
    }

    [Fact]
    public async Task A_full_queue_refuses_the_next_enqueue_without_writing_it_and_takes_one_again_once_a_commit_made_room()
    {
        using var temp = new TempDatabase();
        var queue = new SqliteActivationQueue(temp.Database);
        var feed = new EmbeddedActivationFeed(queue, capacity: 3);
        long first = await feed.EnqueueAsync("a"u8.ToArray());
        await feed.EnqueueAsync("b"u8.ToArray());
        await feed.EnqueueAsync("c"u8.ToArray());

        Assert.True(feed.IsFull);
        ActivationQueueFullException full = await Assert.ThrowsAsync<ActivationQueueFullException>(async () => await feed.EnqueueAsync("d"u8.ToArray()));
        Assert.Equal(3, full.Capacity);
        Assert.Equal(3, await queue.CountAsync());

        await feed.CommitAsync(EmbeddedActivationFeed.Partition, first + 1, CancellationToken.None);
        Assert.Equal(2, feed.Queued);
        await feed.EnqueueAsync("d"u8.ToArray());
        Assert.Equal((3L, 3L), (feed.Queued, await queue.CountAsync()));
    }

    [Fact]
    public async Task A_restart_counts_the_messages_left_in_the_queue_against_its_capacity()
    {
        using var temp = new TempDatabase();
        var queue = new SqliteActivationQueue(temp.Database);
        var before = new EmbeddedActivationFeed(queue);
        for (int i = 0; i < 5; i++)
        {
            await before.EnqueueAsync(Encoding.UTF8.GetBytes($"m{i}"));
        }

        var restarted = new EmbeddedActivationFeed(new SqliteActivationQueue(temp.Reopen()), capacity: 4);

        Assert.Equal(5, restarted.Queued);
        await Assert.ThrowsAsync<ActivationQueueFullException>(async () => await restarted.EnqueueAsync("over"u8.ToArray()));
    }
}
