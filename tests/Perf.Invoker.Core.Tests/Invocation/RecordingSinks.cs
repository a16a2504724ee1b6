using System.Collections.Concurrent;
using Perf.Invoker.Acknowledgements;
using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Tests.Invocation;

/// <summary>The store and the ack channel as lists, for counting that every activation got exactly one of each.</summary>
internal sealed class RecordingSinks : IActivationStore, IAcknowledgementSink
{
    public ConcurrentDictionary<ActivationId, ActivationRecord> Records { get; } = new();

    public ConcurrentQueue<(ActivationId Id, object Message)> Acks { get; } = new();

    /// <summary>"store" and "ack" in the order they happened.</summary>
    public ConcurrentQueue<string> Order { get; } = new();

    public bool StoresAfterAcknowledgement { get; init; }

    public ValueTask StoreAsync(ActivationRecord record, CancellationToken cancellationToken)
    {
        Order.Enqueue("store");
        Assert.True(Records.TryAdd(record.ActivationId, record), $"a second record for {record.ActivationId}");
        return ValueTask.CompletedTask;
    }

    /// <summary>How many times the handler looked a record up (duplicate suppression).</summary>
    public int Finds => Volatile.Read(ref _finds);

    private int _finds;

    public ValueTask<ActivationRecord?> FindAsync(string userNamespace, ActivationId activationId, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _finds);
        return ValueTask.FromResult(Records.TryGetValue(activationId, out ActivationRecord? record) ? record : null);
    }

    public ValueTask SendCombinedAsync(ControllerInstanceId controller, CombinedCompletionAndResultMessage message, CancellationToken cancellationToken)
    {
        Order.Enqueue("ack");
        Acks.Enqueue((message.Response.ActivationId, message));
        return ValueTask.CompletedTask;
    }

    public ValueTask SendCompletionAsync(ControllerInstanceId controller, CompletionMessage message, CancellationToken cancellationToken)
    {
        Order.Enqueue("ack");
        Acks.Enqueue((message.ActivationId, message));
        return ValueTask.CompletedTask;
    }

    public void AssertExactlyOneAckPerRecord()
    {
        Assert.Equal(Records.Count, Acks.Count);
        Assert.Equal(Records.Keys.Select(k => k.ToString()).Order(), Acks.Select(a => a.Id.ToString()).Order());
    }
}
