using System.Runtime.CompilerServices;
using Perf.Invoker.Feed.Embedded;
using Perf.Invoker.Model;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// OpenWhisk's per-namespace throttles (Entitlement.checkThrottles), checked before the action is read: first the
/// invocations of this minute (every check counts), then the activations in flight; past either the API answers 429
/// with OpenWhisk's words. An admitted request holds a slot of its namespace until its activation completes
/// (<see cref="InFlightActivations"/>) or it is refused later (404, 400, 413, 503). A flooding namespace is thereby held
/// to its own limit, in the queue too, and the others keep theirs (docs/standalone.md, "Limits").
/// </summary>
internal sealed class NamespaceThrottle
{
    /// <summary>Made once at start and only read after: a plain dictionary is safe for concurrent readers.</summary>
    private readonly Dictionary<string, NamespaceCounters> _counters;
    private readonly TimeProvider _time;
    private long _refusedConcurrent;
    private long _refusedRate;
    private long _refusedFires;
    private long _refusedQueueFull;

    /// <summary>Set while the queue refuses, so that its being full is logged once per episode, not per request.</summary>
    private int _queueFullLogged;

    /// <param name="namespaces">Every namespace with a key; each gets its counters once, at start.</param>
    /// <param name="overrides">Namespaces whose limits are not <paramref name="defaults"/> (DATA/limits).</param>
    public NamespaceThrottle(
        IEnumerable<string> namespaces,
        NamespaceLimits defaults,
        IReadOnlyDictionary<string, NamespaceLimits> overrides,
        InFlightActivations inFlight,
        TimeProvider? time = null)
    {
        _counters = namespaces.Distinct(StringComparer.Ordinal)
            .ToDictionary(ns => ns, ns => new NamespaceCounters(overrides.GetValueOrDefault(ns, defaults)), StringComparer.Ordinal);
        InFlight = inFlight;
        _time = time ?? TimeProvider.System;
    }

    public InFlightActivations InFlight { get; }

    /// <summary>Requests refused with 429 for activations in flight.</summary>
    public long RefusedConcurrent => Volatile.Read(ref _refusedConcurrent);

    /// <summary>Requests refused with 429 for invocations in the minute.</summary>
    public long RefusedRate => Volatile.Read(ref _refusedRate);

    /// <summary>Trigger fires refused with 429.</summary>
    public long RefusedFires => Volatile.Read(ref _refusedFires);

    /// <summary>Requests refused with 503 because the queue was full.</summary>
    public long RefusedQueueFull => Volatile.Read(ref _refusedQueueFull);

    /// <summary>The counters of a namespace (its limits, its activations in flight).</summary>
    public NamespaceCounters this[string @namespace] => _counters[@namespace];

    /// <summary>
    /// An invocation's admission: its namespace's counters, holding a slot, or null and OpenWhisk's reason for 429
    /// ("Too many requests in the last minute (count: N, allowed: M)." or "Too many concurrent requests in flight (count:
    /// N, allowed: M)."). No lock, no allocation unless refused.
    /// </summary>
    public NamespaceCounters? TryAdmit(string @namespace, out string? refusal)
    {
        NamespaceCounters counters = _counters[@namespace];
        int count = counters.ChargeInvocation(Minute());
        if (count > counters.Limits.InvocationsPerMinute)
        {
            Interlocked.Increment(ref _refusedRate);
            refusal = $"Too many requests in the last minute (count: {count}, allowed: {counters.Limits.InvocationsPerMinute}).";
            return null;
        }

        if (!counters.TryAcquire(out int inFlight))
        {
            Interlocked.Increment(ref _refusedConcurrent);
            refusal = $"Too many concurrent requests in flight (count: {inFlight}, allowed: {counters.Limits.ConcurrentInvocations}).";
            return null;
        }

        refusal = null;
        return counters;
    }

    /// <summary>
    /// A trigger fire's admission (OpenWhisk's firesPerMinute; the activations its rules start are invocations and
    /// go through <see cref="TryAdmit"/>): true, or false and the 429 reason.
    /// </summary>
    public bool TryFire(string @namespace, out string? refusal)
    {
        NamespaceCounters counters = _counters[@namespace];
        int count = counters.ChargeFire(Minute());
        if (count > counters.Limits.FiresPerMinute)
        {
            Interlocked.Increment(ref _refusedFires);
            refusal = $"Too many requests in the last minute (count: {count}, allowed: {counters.Limits.FiresPerMinute}).";
            return false;
        }

        refusal = null;
        return true;
    }

    /// <summary>
    /// Enqueues an admitted activation: its slot goes with it (released by its completion), or back at once when the
    /// message is not queued. False when the queue is full (the caller answers 503); nothing was written then.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> EnqueueAsync(NamespaceCounters slot, ActivationId activationId, EmbeddedActivationFeed feed, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        if (feed.IsFull)
        {
            slot.Release();
            QueueFull(feed);
            return false;
        }

        InFlight.Track(activationId, slot);
        try
        {
            await feed.EnqueueAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (ActivationQueueFullException)
        {
            InFlight.Release(activationId);
            QueueFull(feed);
            return false;
        }
        catch
        {
            InFlight.Release(activationId);
            throw;
        }

        if (Volatile.Read(ref _queueFullLogged) == 1 && Interlocked.Exchange(ref _queueFullLogged, 0) == 1)
        {
            Console.Error.WriteLine($"invoker standalone: the activation queue takes activations again ({feed.Queued} of {feed.Capacity}).");
        }

        return true;
    }

    private void QueueFull(EmbeddedActivationFeed feed)
    {
        Interlocked.Increment(ref _refusedQueueFull);
        if (Interlocked.Exchange(ref _queueFullLogged, 1) == 0)
        {
            Console.Error.WriteLine($"invoker standalone: the activation queue holds its capacity of {feed.Capacity} (--queue-max); invokes answer 503 until it drains.");
        }
    }

    /// <summary>The clock's minute since the epoch: OpenWhisk's window (RateInfo.getCurrentMinute).</summary>
    private long Minute() => _time.GetUtcNow().ToUnixTimeMilliseconds() / 60_000;
}
