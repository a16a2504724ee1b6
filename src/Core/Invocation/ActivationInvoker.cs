using System.Runtime.CompilerServices;
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
/// <param name="storePolicy">Which records are stored (OpenWhisk's store levels, docs/cluster.md); every one when null.</param>
public sealed class ActivationInvoker(
    ContainerPool pool,
    IActivationStore store,
    IAcknowledgementSink acks,
    InvokerInstanceId instance,
    TimeProvider? time = null,
    InvokerMetrics? metrics = null,
    ActivationStorePolicy? storePolicy = null,
    UserEventPublisher? userEvents = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ActivationStorePolicy _storePolicy = storePolicy ?? ActivationStorePolicy.Always;

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
            await CompleteOnceAsync(message, record, cancellationToken).ConfigureAwait(false);
            return record;
        }
        finally
        {
            Metrics.ActivationEnded();
        }
    }

    /// <summary>Stores (as the store policy and the user's limits allow) and acknowledges a record, then sends its user event (when enabled).</summary>
    public Task CompleteAsync(ActivationMessage message, ActivationRecord record, CancellationToken cancellationToken) =>
        CompleteOnceAsync(message, record, cancellationToken).AsTask();

    /// <summary>
    /// Stores and acknowledges a record made without a whole message (a malformed message's error). Its user's limits
    /// are unknown; it is a whisk error, which every store level keeps.
    /// </summary>
    public Task CompleteAsync(ActivationRecord record, ControllerInstanceId controller, TransactionId transid, bool blocking, CancellationToken cancellationToken) =>
        CompleteAsync(record, controller, transid, blocking, userLimits: default, cancellationToken).AsTask();

    /// <summary><see cref="CompleteAsync(ActivationMessage, ActivationRecord, CancellationToken)"/> for this type's own await: every activation completes here, so its state machine is pooled.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask CompleteOnceAsync(ActivationMessage message, ActivationRecord record, CancellationToken cancellationToken)
    {
        await CompleteAsync(record, message.RootControllerIndex, message.Transid, message.Blocking, message.User.Limits, cancellationToken).ConfigureAwait(false);
        userEvents?.Publish(message.User.Namespace.Uuid, record);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask CompleteAsync(ActivationRecord record, ControllerInstanceId controller, TransactionId transid, bool blocking, RawJson userLimits, CancellationToken cancellationToken)
    {
        // Counted before the ack goes out, so whoever has seen the ack also sees it counted.
        Metrics.CountStatus(record.Response.StatusCode);
        bool stored = _storePolicy.ShouldStore(record.Response.StatusCode, blocking, transid.ExtraLogging, userLimits);
        if (store.StoresAfterAcknowledgement)
        {
            // A crash between the two leaves the offset uncommitted: the activation runs again (invariant 1).
            await AcknowledgeAsync(record, controller, transid, blocking, cancellationToken).ConfigureAwait(false);
            if (stored)
            {
                await store.StoreAsync(record, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        if (stored)
        {
            await store.StoreAsync(record, cancellationToken).ConfigureAwait(false);
        }

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

        // Sized exactly, filled in place: one array per record, no list to copy from.
        Parameter[] shared = action.RecordAnnotations;
        string? binding = message.Action.Binding;
        var annotations = new Parameter[shared.Length + 2 + (run.InitMillis is null ? 0 : 1) + (message.Cause is null ? 0 : 1) + (binding is null ? 0 : 1)];
        shared.CopyTo(annotations, 0);
        int next = shared.Length;
        annotations[next++] = run.TimedOut ? s_timedOut : s_notTimedOut;
        if (message.Cause is not null)
        {
            // OpenWhisk: an activation with a cause is a sequence's component.
            annotations[next++] = s_causedBySequence;
        }

        if (run.InitMillis is { } initMillis)
        {
            annotations[next++] = new() { Key = "initTime", Value = RawJson.FromInt64(initMillis) };
        }

        annotations[next++] = new() { Key = "waitTime", Value = RawJson.FromInt64(waitMillis) };
        if (binding is not null)
        {
            // The package binding it was invoked through; OpenWhisk's activations-by-name view files the record under it.
            annotations[next++] = new() { Key = "binding", Value = RawJson.FromString(binding) };
        }

        System.Diagnostics.Debug.Assert(next == annotations.Length, "every annotation slot is filled");
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
            Annotations = annotations,
            Duration = (long)(end - start).TotalMilliseconds,
        };
    }

    private static readonly Parameter s_timedOut = new() { Key = "timeout", Value = RawJson.True };
    private static readonly Parameter s_notTimedOut = new() { Key = "timeout", Value = RawJson.False };
    private static readonly Parameter s_causedBySequence = new() { Key = "causedBy", Value = RawJson.FromString("sequence") };
}
