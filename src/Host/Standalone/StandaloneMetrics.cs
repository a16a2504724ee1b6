using System.Buffers;
using Perf.Invoker.Exposition;
using Perf.Invoker.Feed.Embedded;
using Perf.Invoker.Store;

namespace Perf.Invoker.Host.Standalone;

/// <summary>What <c>GET /metrics</c> adds in standalone mode (docs/metrics.md): the bounds of overload, and how often they answered.</summary>
internal static class StandaloneMetrics
{
    public static void Write(IBufferWriter<byte> output, NamespaceThrottle throttle, EmbeddedActivationFeed queue, SqliteActionStore actions)
    {
        var writer = new PrometheusTextWriter(output);
        writer.WriteFamily("invoker_throttled_total"u8, "counter"u8, "Invocations refused: 429 over a namespace's limits, 503 with the queue full"u8);
        writer.WriteSample("invoker_throttled_total"u8, "reason"u8, "concurrent"u8, throttle.RefusedConcurrent);
        writer.WriteSample("invoker_throttled_total"u8, "reason"u8, "minute"u8, throttle.RefusedRate);
        writer.WriteSample("invoker_throttled_total"u8, "reason"u8, "fires"u8, throttle.RefusedFires);
        writer.WriteSample("invoker_throttled_total"u8, "reason"u8, "queue_full"u8, throttle.RefusedQueueFull);
        writer.WriteFamily("invoker_api_in_flight"u8, "gauge"u8, "Activations the API admitted that have not completed: what concurrentInvocations counts"u8);
        writer.WriteSample("invoker_api_in_flight"u8, throttle.InFlight.Count);
        writer.WriteFamily("invoker_queue_messages"u8, "gauge"u8, "Activations in the durable queue, not yet completed"u8);
        writer.WriteSample("invoker_queue_messages"u8, queue.Queued);
        writer.WriteFamily("invoker_queue_capacity"u8, "gauge"u8, "Activations the durable queue holds at most (--queue-max)"u8);
        writer.WriteSample("invoker_queue_capacity"u8, queue.Capacity);
        writer.WriteFamily("invoker_action_cache_bytes"u8, "gauge"u8, "Bytes of action documents the action cache holds"u8);
        writer.WriteSample("invoker_action_cache_bytes"u8, actions.CachedBytes);
    }
}
