using System.Diagnostics;
using System.Runtime.CompilerServices;
using Perf.Invoker.Acknowledgements;
using Perf.Invoker.Feed.Embedded;
using Perf.Invoker.Invocation;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// One activation through the invoker, as the API runs it: its message committed to the embedded queue (durable before
/// anyone is answered), then, when the caller waits, its record from the in-process ack or the store. The invoke endpoint,
/// sequences (one component after the other, each with the sequence's activation as its <c>cause</c>) and web actions all
/// run activations through here, so every one of them takes the same queue, pool and record path.
/// </summary>
internal sealed class ActivationRunner(EmbeddedActivationFeed feed, ActivationWaiters waiters, SqliteActivationStore records, ActivationFactory factory, NamespaceThrottle throttle)
{
    /// <summary>
    /// Commits the message of an activation admitted with <paramref name="slot"/>, which it then holds until it completes;
    /// the caller does not wait for the record (a non-blocking invoke). False when the queue is full: nothing was written.
    /// </summary>
    public ValueTask<bool> EnqueueAsync(NamespaceCounters slot, ActivationId id, byte[] message, CancellationToken cancellationToken) =>
        throttle.EnqueueAsync(slot, id, feed, message, cancellationToken);

    /// <summary>
    /// Commits the message, waits up to <paramref name="wait"/> for its record and gives it to <paramref name="handler"/>:
    /// null when it did not complete in time (or the invoker is stopping), when the caller answers with the activation id
    /// only. The handler is a struct and this the only async frame of a blocking invoke, as when this ran inline in the
    /// endpoint: the hot path of docs/performance.md gains no task, delegate or closure per invoke by the extraction.
    /// An activation admitted by the <see cref="NamespaceThrottle"/> passes its <paramref name="slot"/>; when the queue is
    /// full it is not written and the handler answers that instead.
    /// </summary>
    public async Task RunAsync<THandler>(ActivationId id, string @namespace, byte[] message, TimeSpan wait, THandler handler, NamespaceCounters? slot, CancellationToken cancellationToken)
        where THandler : struct, IRecordHandler
    {
        ActivationRecord? record = null;
        // Registered before the enqueue, so a fast activation's ack cannot arrive before anyone waits for it.
        ActivationWaiter completion = waiters.Register(id, wait, cancellationToken);
        try
        {
            // Durable before the answer: from here on a crash replays the activation instead of losing it.
            if (slot is null)
            {
                await feed.EnqueueAsync(message, cancellationToken);
            }
            else if (!await throttle.EnqueueAsync(slot, id, feed, message, cancellationToken))
            {
                await handler.OverloadedAsync();
                return;
            }

            bool completed = true;
            try
            {
                record = await completion.Task;
            }
            catch (TimeoutException)
            {
                completed = false;
            }

            // An ack without the record (a completion message): the record is in the store.
            if (completed && record is null)
            {
                record = await records.FindAsync(@namespace, id, cancellationToken);
            }
        }
        finally
        {
            waiters.Forget(completion);
        }

        await handler.HandleAsync(record);
    }

    /// <summary>
    /// Runs <paramref name="action"/> for <paramref name="key"/> with <paramref name="content"/> (already merged with the
    /// action's defaults) and waits for its record: what a sequence does for each component and a web action for its
    /// action. <see cref="InternalRun.TooLarge"/> when the message would be over what the handler reads.
    /// </summary>
    public async Task<InternalRun> InvokeAsync(StoredAction action, NamespaceKey key, RawJson content, ActivationId? cause, TimeSpan wait, CancellationToken cancellationToken)
    {
        ActivationMessage message = factory.Create(action, key, content, blocking: true, cause);
        byte[] serialized = JsonModel.ToUtf8Bytes(message);
        if (serialized.Length > ActivationMessageHandler.MaxMessageBytes)
        {
            return new InternalRun(message.ActivationId, null, serialized.Length);
        }

        var kept = new StrongBox<ActivationRecord?>();
        await RunAsync(message.ActivationId, key.Namespace, serialized, wait, new Keep(kept), slot: null, cancellationToken);
        return new InternalRun(message.ActivationId, kept.Value, serialized.Length);
    }

    /// <summary>Keeps the record for an internal caller.</summary>
    private readonly struct Keep(StrongBox<ActivationRecord?> kept) : IRecordHandler
    {
        public Task HandleAsync(ActivationRecord? record)
        {
            kept.Value = record;
            return Task.CompletedTask;
        }

        // Internal runs hold no slot: a full queue throws from the enqueue instead.
        public Task OverloadedAsync() => throw new UnreachableException();
    }
}

/// <summary>What a blocking caller does with its activation's record, null when it did not complete in time.</summary>
internal interface IRecordHandler
{
    Task HandleAsync(ActivationRecord? record);

    /// <summary>The queue was full: the activation was not written (503).</summary>
    Task OverloadedAsync();
}

/// <summary>An activation run by the API itself: its id, its record (null when it outlasted the wait) and its message's size.</summary>
internal readonly record struct InternalRun(ActivationId Id, ActivationRecord? Record, int MessageBytes)
{
    public bool TooLarge => MessageBytes > ActivationMessageHandler.MaxMessageBytes;
}
