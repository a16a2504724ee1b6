using Perf.Invoker.Feed.Embedded;
using Perf.Invoker.Store;

namespace Perf.Invoker.Tests.Feed;

[Trait("Category", "Unit")]
public sealed class CommittedMessagesTests
{
    [Fact]
    public void Messages_handed_over_out_of_order_are_taken_in_sequence_order()
    {
        var committed = new CommittedMessages(lastCommitted: 0);
        committed.Add(2, "b"u8.ToArray());

        Assert.False(committed.TryTakeNext(out _), "1 is committed but not handed over yet: 2 must wait for it");
        Assert.True(committed.QueueAhead, "2 was committed, so the queue holds what the ring lacks");

        committed.Add(1, "a"u8.ToArray());
        Assert.True(committed.TryTakeNext(out QueuedMessage first));
        Assert.True(committed.TryTakeNext(out QueuedMessage second));
        Assert.Equal([1L, 2L], [first.Sequence, second.Sequence]);
        Assert.Equal("b"u8.ToArray(), second.Message.ToArray());
        Assert.False(committed.QueueAhead);
    }

    [Fact]
    public void Messages_in_the_queue_when_it_was_opened_are_left_to_the_queue()
    {
        var committed = new CommittedMessages(lastCommitted: 5);
        committed.Add(6, "new"u8.ToArray());

        Assert.False(committed.TryTakeNext(out _));
        Assert.True(committed.QueueAhead);

        committed.TookFromQueue(5);
        Assert.True(committed.TryTakeNext(out QueuedMessage next));
        Assert.Equal(6, next.Sequence);
    }

    [Fact]
    public void A_message_read_from_the_queue_is_not_taken_again_when_its_hand_over_comes_late()
    {
        var committed = new CommittedMessages(lastCommitted: 0);
        committed.Add(2, "b"u8.ToArray());
        committed.TookFromQueue(2);
        committed.Add(1, "a"u8.ToArray());

        Assert.False(committed.TryTakeNext(out _));
        Assert.False(committed.QueueAhead);
        Assert.Equal(2, committed.Taken);
    }

    [Fact]
    public void A_message_a_whole_ring_ahead_of_the_feed_is_left_to_the_queue()
    {
        var committed = new CommittedMessages(lastCommitted: 0);
        for (long sequence = 1; sequence <= CommittedMessages.Capacity + 1; sequence++)
        {
            committed.Add(sequence, "m"u8.ToArray());
        }

        for (long sequence = 1; sequence <= CommittedMessages.Capacity; sequence++)
        {
            Assert.True(committed.TryTakeNext(out QueuedMessage message));
            Assert.Equal(sequence, message.Sequence);
        }

        Assert.False(committed.TryTakeNext(out _), "the last one found its slot taken and stays in the queue alone");
        Assert.True(committed.QueueAhead);
    }
}
