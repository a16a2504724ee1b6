using System.Buffers.Binary;
using System.Text;
using Perf.Invoker.Store;

namespace Perf.Invoker.Tests.Store;

[Trait("Category", "Unit")]
public sealed class SqliteActivationQueueTests
{
    [Fact]
    public async Task Take_ReturnsMessagesInEnqueueOrder_WithIncreasingSequences()
    {
        using var temp = new TempDatabase();
        var queue = new SqliteActivationQueue(temp.Database);
        long[] sequences = new long[5];
        for (int i = 0; i < 5; i++)
        {
            sequences[i] = await queue.EnqueueAsync(Encoding.UTF8.GetBytes($"m{i}"));
        }

        IReadOnlyList<QueuedMessage> first = await queue.TakeAsync(0, 3);
        IReadOnlyList<QueuedMessage> rest = await queue.TakeAsync(first[^1].Sequence, 10);

        Assert.Equal(sequences.Order(), sequences);
        Assert.Equal(["m0", "m1", "m2"], first.Select(Text));
        Assert.Equal(["m3", "m4"], rest.Select(Text));
        Assert.Equal(sequences, first.Concat(rest).Select(m => m.Sequence));
    }

    [Fact]
    public async Task CompletedMessages_AreNotTakenAgain()
    {
        using var temp = new TempDatabase();
        var queue = new SqliteActivationQueue(temp.Database);
        long a = await queue.EnqueueAsync("a"u8.ToArray());
        long b = await queue.EnqueueAsync("b"u8.ToArray());

        await queue.CompleteAsync(a);
        await queue.CompleteAsync(a);

        Assert.Equal([b], (await queue.TakeAsync(0, 10)).Select(m => m.Sequence));
        Assert.Equal(1, await queue.CountAsync());
    }

    [Fact]
    public async Task AfterACrash_EveryMessageNotCompleted_IsDeliveredAgainInOrder_AndSequencesAreNotReused()
    {
        using var temp = new TempDatabase();
        var queue = new SqliteActivationQueue(temp.Database);
        var sequences = new List<long>();
        for (int i = 0; i < 6; i++)
        {
            sequences.Add(await queue.EnqueueAsync(Encoding.UTF8.GetBytes($"m{i}")));
        }

        // m1 and m5 completed; m0, m2, m3, m4 were taken (in flight) or not taken at all when the process died.
        Assert.Equal(4, (await queue.TakeAsync(0, 4)).Count);
        await queue.CompleteAsync(sequences[1]);
        await queue.CompleteAsync(sequences[5]);

        var replayed = new SqliteActivationQueue(temp.Reopen());
        IReadOnlyList<QueuedMessage> redelivered = await replayed.TakeAsync(0, 100);
        long next = await replayed.EnqueueAsync("after"u8.ToArray());

        Assert.Equal(["m0", "m2", "m3", "m4"], redelivered.Select(Text));
        Assert.Equal([sequences[0], sequences[2], sequences[3], sequences[4]], redelivered.Select(m => m.Sequence));
        Assert.True(next > sequences[5], "a sequence number is never reused, even after the newest message was completed");
    }

    [Fact]
    public async Task ConcurrentEnqueues_FromManyTasks_AreAllPresentOnce_InEachTasksOrder()
    {
        const int Tasks = 32;
        const int PerTask = 50;
        using var temp = new TempDatabase();
        var queue = new SqliteActivationQueue(temp.Database);

        await Task.WhenAll(Enumerable.Range(0, Tasks).Select(t => Task.Run(async () =>
        {
            for (int i = 0; i < PerTask; i++)
            {
                byte[] message = new byte[8];
                BinaryPrimitives.WriteInt32LittleEndian(message, t);
                BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(4), i);
                await queue.EnqueueAsync(message);
            }
        })));

        var all = new List<QueuedMessage>();
        for (long after = 0; ;)
        {
            IReadOnlyList<QueuedMessage> batch = await queue.TakeAsync(after, 256);
            if (batch.Count == 0)
            {
                break;
            }

            all.AddRange(batch);
            after = batch[^1].Sequence;
        }

        Assert.Equal(Tasks * PerTask, all.Count);
        Assert.Equal(all.Select(m => m.Sequence).Order(), all.Select(m => m.Sequence));
        Assert.Equal(Tasks * PerTask, all.Select(m => m.Sequence).Distinct().Count());
        foreach (IGrouping<int, QueuedMessage> task in all.GroupBy(m => BinaryPrimitives.ReadInt32LittleEndian(m.Message.Span)))
        {
            Assert.Equal(Enumerable.Range(0, PerTask), task.Select(m => BinaryPrimitives.ReadInt32LittleEndian(m.Message.Span[4..])));
        }
    }

    [Fact]
    public async Task AMessageThatIsASliceOfALargerArray_IsStoredAsTheSliceOnly()
    {
        using var temp = new TempDatabase();
        var queue = new SqliteActivationQueue(temp.Database);
        byte[] buffer = "xxhelloxx"u8.ToArray();

        await queue.EnqueueAsync(buffer.AsMemory(2, 5));

        Assert.Equal("hello", Text(Assert.Single(await queue.TakeAsync(0, 10))));
    }

    [Fact]
    public async Task AfterTheDatabaseIsDisposed_WritesAndReadsThrowObjectDisposedException()
    {
        using var temp = new TempDatabase();
        var queue = new SqliteActivationQueue(temp.Database);
        await queue.EnqueueAsync("a"u8.ToArray());

        temp.Database.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await queue.EnqueueAsync("b"u8.ToArray()));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await queue.CompleteAsync(1));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await queue.TakeAsync(0, 1));
    }

    private static string Text(QueuedMessage message) => Encoding.UTF8.GetString(message.Message.Span);
}
