using Perf.Invoker.Acknowledgements;
using Perf.Invoker.ActionProtocol;
using Perf.Invoker.Json;
using Perf.Invoker.Metrics;
using Perf.Invoker.Model;
using Perf.Invoker.Pool;
using Perf.Invoker.Store;

namespace Perf.Invoker.Invocation;

/// <summary>
/// Runs one parsed activation end to end: through the pool, into an activation record (docs/openwhisk.md
/// §4, with OpenWhisk's annotations), into the store, and out as exactly one acknowledgement
/// (docs/openwhisk.md §3). Every path, failures included, produces a record and an ack, and is counted in
/// <see cref="Metrics"/>. With <paramref name="userEvents"/>, each record of an activation message is also a user event
/// (docs/cluster.md, user events).
/// </summary>
public sealed class ActivationInvoker(ContainerPool pool, IActivationStore store, IAcknowledgementSink acks, InvokerInstanceId instance, TimeProvider? time = null, InvokerMetrics? metrics = null, UserEventPublisher? userEvents = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public InvokerInstanceId Instance => instance;

    /// <summary>Activations by status, in flight, and their latencies (docs/metrics.md).</summary>
    public InvokerMetrics Metrics { get; } = metrics ?? new InvokerMetrics();

    /// <summary>Runs the activation; returns its record once it is stored and acknowledged.</summary>
    public async Task<ActivationRecord> InvokeAsync(ActivationMessage message, ExecutableAction action, CancellationToken cancellationToken = default)
    {
        Metrics.ActivationStarted();
        try
        {
            DateTimeOffset received = _time.GetUtcNow();
            ActivationRun run;
            try
            {
                run = await pool.RunAsync(message.User.Namespace.Name, message, action, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Invariant 1 (docs/architecture.md §3): an unexpected fault is still a record and an ack, as a whisk error. No start:
                // nothing ran (the record starts when the activation was received).
                run = new ActivationRun(ActionResponse.WhiskError(ActionMessages.ResourceError), default, _time.GetUtcNow(), null, [], false, null);
            }

            ActivationRecord record = CreateRecord(message, action, run, received);
            await CompleteAsync(message, record, cancellationToken).ConfigureAwait(false);
            return record;
        }
        finally
        {
            Metrics.ActivationEnded();
        }
    }

    /// <summary>Stores and acknowledges a record, then sends its user event (when enabled).</summary>
    public async Task CompleteAsync(ActivationMessage message, ActivationRecord record, CancellationToken cancellationToken)
    {
        await CompleteAsync(record, message.RootControllerIndex, message.Transid, message.Blocking, cancellationToken).ConfigureAwait(false);
        userEvents?.Publish(message.User.Namespace.Uuid, record);
    }

    /// <summary>Stores and acknowledges a record made without a whole message (a malformed message's error).</summary>
    public async Task CompleteAsync(ActivationRecord record, ControllerInstanceId controller, TransactionId transid, bool blocking, CancellationToken cancellationToken)
    {
        // Counted before the ack goes out, so whoever has seen the ack also sees it counted.
        Metrics.CountStatus(record.Response.StatusCode);
        await store.StoreAsync(record, cancellationToken).ConfigureAwait(false);
        await AcknowledgeAsync(record, controller, transid, blocking, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends the ack of docs/openwhisk.md §3 for a record: Combined when blocking, Completion otherwise.</summary>
    public async Task AcknowledgeAsync(ActivationRecord record, ControllerInstanceId controller, TransactionId transid, bool blocking, CancellationToken cancellationToken)
    {
        bool systemError = record.Response.IsWhiskError;
        if (blocking)
        {
            await acks.SendCombinedAsync(controller, new CombinedCompletionAndResultMessage
            {
                Transid = transid,
                Response = new AckResponse(record),
                IsSystemError = systemError,
                Instance = instance,
            }, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await acks.SendCompletionAsync(controller, new CompletionMessage
            {
                Transid = transid,
                ActivationId = record.ActivationId,
                IsSystemError = systemError,
                Instance = instance,
            }, cancellationToken).ConfigureAwait(false);
        }
    }

    private ActivationRecord CreateRecord(ActivationMessage message, ExecutableAction action, in ActivationRun run, DateTimeOffset received)
    {
        // A cold start's record starts when /init did (OpenWhisk: duration includes the init time).
        DateTimeOffset runStart = run.Start == default ? received : run.Start;
        DateTimeOffset end = run.End == default ? _time.GetUtcNow() : run.End;
        DateTimeOffset start = run.InitMillis is { } init ? runStart.AddMilliseconds(-init) : runStart;
        long waitMillis = Math.Max(0, start.ToUnixTimeMilliseconds() - message.Transid.StartMillis);
        // Run time only when /run was sent: a failed init or provisioning has no run to time.
        Metrics.ObserveLatencies(waitMillis, run.InitMillis, run.Start == default ? null : (long)(end - runStart).TotalMilliseconds);

        var annotations = new List<Parameter>(6);
        annotations.AddRange(action.RecordAnnotations);
        annotations.Add(run.TimedOut ? s_timedOut : s_notTimedOut);
        if (run.InitMillis is { } initMillis)
        {
            annotations.Add(new() { Key = "initTime", Value = RawJson.FromInt64(initMillis) });
        }

        annotations.Add(new() { Key = "waitTime", Value = RawJson.FromInt64(waitMillis) });
        return new ActivationRecord
        {
            Namespace = message.User.Namespace.Name,
            Name = action.Name,
            Subject = message.User.Subject,
            ActivationId = message.ActivationId,
            Start = start.ToUnixTimeMilliseconds(),
            End = end.ToUnixTimeMilliseconds(),
            Cause = message.Cause,
            Response = run.Response.ToActivationResponse(),
            Logs = run.Logs,
            Version = action.Version,
            Publish = false,
            Annotations = [.. annotations],
            Duration = (long)(end - start).TotalMilliseconds,
        };
    }

    private static readonly Parameter s_timedOut = new() { Key = "timeout", Value = RawJson.True };
    private static readonly Parameter s_notTimedOut = new() { Key = "timeout", Value = RawJson.False };
}
