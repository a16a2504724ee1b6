using System.Text;
using Microsoft.Data.Sqlite;
using Perf.Invoker.Store;

namespace Perf.Invoker.Tests.Store;

/// <summary>
/// The writer's group commit (SqliteDatabase.WriteAsync): writes that queue behind a running one are committed together,
/// and each caller still gets its own outcome. A write that waits on a gate holds the writer, so the batches are known.
/// </summary>
[Trait("Category", "Unit")]
public sealed class SqliteGroupCommitTests
{
    [Fact]
    public async Task WritesQueuedBehindARunningOne_AreCommittedTogether_InOneTransaction_EachWithItsOwnSequence()
    {
        using var temp = new TempDatabase();
        var queue = new SqliteActivationQueue(temp.Database);
        using var gate = new ManualResetEventSlim();
        ValueTask<bool> holder = HoldWriterAsync(temp.Database, gate);
        await WaitUntilHeldAsync(temp.Database);

        ValueTask<long>[] enqueues = [.. Enumerable.Range(0, 100).Select(i => queue.EnqueueAsync(Encoding.UTF8.GetBytes($"m{i}")))];
        gate.Set();
        await holder;
        long[] sequences = [.. await Task.WhenAll(enqueues.Select(e => e.AsTask()))];

        Assert.Equal(2, temp.Database.Commits);
        Assert.Equal(101, temp.Database.Writes);
        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), sequences);
        Assert.Equal(100, await queue.CountAsync());
    }

    [Fact]
    public async Task AWriteThatThrows_FailsAlone_TheOthersOfItsBatchAreCommitted()
    {
        using var temp = new TempDatabase();
        var queue = new SqliteActivationQueue(temp.Database);
        using var gate = new ManualResetEventSlim();
        ValueTask<bool> holder = HoldWriterAsync(temp.Database, gate);
        await WaitUntilHeldAsync(temp.Database);

        ValueTask<long> before = queue.EnqueueAsync("before"u8.ToArray());
        ValueTask<int> broken = temp.Database.WriteAsync(0, static (session, _) =>
        {
            session.Execute("INSERT INTO no_such_table VALUES(1);");
            return 1;
        }, CancellationToken.None);
        ValueTask<long> after = queue.EnqueueAsync("after"u8.ToArray());
        gate.Set();
        await holder;

        await Assert.ThrowsAsync<SqliteException>(async () => await broken);
        Assert.Equal(1, await before);
        Assert.Equal(2, await after);
        Assert.Equal(["before", "after"], (await queue.TakeAsync(0, 10)).Select(m => Encoding.UTF8.GetString(m.Message.Span)));
    }

    [Fact]
    public async Task AWriteWhoseCallerCancelledWhileItWaited_IsNotRun_AndFailsWithTheCancellation()
    {
        using var temp = new TempDatabase();
        var queue = new SqliteActivationQueue(temp.Database);
        using var gate = new ManualResetEventSlim();
        using var cancellation = new CancellationTokenSource();
        ValueTask<bool> holder = HoldWriterAsync(temp.Database, gate);
        await WaitUntilHeldAsync(temp.Database);

        ValueTask<long> cancelled = queue.EnqueueAsync("cancelled"u8.ToArray(), cancellation.Token);
        ValueTask<long> kept = queue.EnqueueAsync("kept"u8.ToArray());
        await cancellation.CancelAsync();
        gate.Set();
        await holder;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await cancelled);
        await kept;
        Assert.Equal(["kept"], (await queue.TakeAsync(0, 10)).Select(m => Encoding.UTF8.GetString(m.Message.Span)));
    }

    [Fact]
    public async Task WritesStillQueuedWhenTheDatabaseIsDisposed_FailWithObjectDisposed_AndLaterOnesThrowAtOnce()
    {
        var temp = new TempDatabase();
        var queue = new SqliteActivationQueue(temp.Database);
        using var gate = new ManualResetEventSlim();
        ValueTask<bool> holder = HoldWriterAsync(temp.Database, gate);
        await WaitUntilHeldAsync(temp.Database);
        var queued = new List<ValueTask<long>> { queue.EnqueueAsync("queued"u8.ToArray()) };

        // Dispose waits for the held writer; the writer is released only once disposal has begun, which a new write
        // shows by throwing at once (the writes queued while probing are queued ones too).
        Task dispose = Task.Run(temp.Dispose);
        await Eventually.True(() =>
        {
            try
            {
                queued.Add(queue.EnqueueAsync("probe"u8.ToArray()));
                return false;
            }
            catch (ObjectDisposedException)
            {
                return true;
            }
        }, "disposal has begun");
        gate.Set();
        await holder;
        await dispose;

        foreach (ValueTask<long> write in queued)
        {
            await Assert.ThrowsAsync<ObjectDisposedException>(async () => await write);
        }

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await queue.EnqueueAsync("late"u8.ToArray()));
    }

    /// <summary>A write that holds the writer until <paramref name="gate"/> is set.</summary>
    private static ValueTask<bool> HoldWriterAsync(SqliteDatabase database, ManualResetEventSlim gate) =>
        database.WriteAsync(gate, static (_, gate) =>
        {
            gate.Wait();
            return true;
        }, CancellationToken.None);

    /// <summary>The holding write has started: it was counted when its one-write batch was taken.</summary>
    private static Task WaitUntilHeldAsync(SqliteDatabase database) => Eventually.True(() => database.Writes == 1, "the holding write runs");
}
