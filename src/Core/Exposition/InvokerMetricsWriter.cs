using System.Buffers;
using Perf.Invoker.Feed;
using Perf.Invoker.Metrics;
using Perf.Invoker.Model;
using Perf.Invoker.Pool;

namespace Perf.Invoker.Exposition;

/// <summary>
/// Writes every metric of docs/metrics.md in the Prometheus text format: the activation path's counters and
/// histograms from <see cref="InvokerMetrics"/>, and gauges read now from the pool, the feeds and the switch. The feeds
/// and the switch are optional, for hosts that have none; with two topics (<c>invoker&lt;N&gt;</c> and
/// <c>invoker&lt;N&gt;concurrent</c>) the credit gauges add up both windows. Stateless: concurrent scrapes are fine.
/// </summary>
public sealed class InvokerMetricsWriter(InvokerMetrics metrics, ContainerPool pool, IReadOnlyList<MessageFeed>? feeds = null, InvokerSwitch? invokerSwitch = null)
{
    /// <summary>Writes the whole exposition to <paramref name="output"/> (e.g. a response's <c>PipeWriter</c>); the caller flushes.</summary>
    public void Write(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var writer = new PrometheusTextWriter(output);
        WriteActivations(writer);
        WritePool(writer, pool.Snapshot());
        if (feeds is { Count: > 0 })
        {
            long inUse = 0, maxPeek = 0;
            foreach (MessageFeed feed in feeds)
            {
                inUse += feed.CreditsInUse;
                maxPeek += feed.MaxPeek;
            }

            writer.WriteFamily("invoker_feed_credits_in_use"u8, "gauge"u8, "Feed credits held: activations between dispatch and completion (docs/architecture.md section 3, invariant 2)."u8);
            writer.WriteSample("invoker_feed_credits_in_use"u8, inUse);
            writer.WriteFamily("invoker_feed_max_peek"u8, "gauge"u8, "The peek window: credits in all (docs/openwhisk.md section 7), every feed's together."u8);
            writer.WriteSample("invoker_feed_max_peek"u8, maxPeek);
        }

        if (invokerSwitch is not null)
        {
            writer.WriteFamily("invoker_enabled"u8, "gauge"u8, "1 while the invoker takes new work, 0 after POST /invoker/disable."u8);
            writer.WriteSample("invoker_enabled"u8, invokerSwitch.IsEnabled ? 1 : 0);
        }
    }

    private void WriteActivations(PrometheusTextWriter writer)
    {
        writer.WriteFamily("invoker_activations_total"u8, "counter"u8, "Activations completed, by the status code of their record (docs/openwhisk.md section 4)."u8);
        writer.WriteSample("invoker_activations_total"u8, "status"u8, "success"u8, metrics.Completed(ActivationStatus.Success));
        writer.WriteSample("invoker_activations_total"u8, "status"u8, "application_error"u8, metrics.Completed(ActivationStatus.ApplicationError));
        writer.WriteSample("invoker_activations_total"u8, "status"u8, "developer_error"u8, metrics.Completed(ActivationStatus.DeveloperError));
        writer.WriteSample("invoker_activations_total"u8, "status"u8, "whisk_error"u8, metrics.Completed(ActivationStatus.WhiskError));
        writer.WriteFamily("invoker_activations_in_flight"u8, "gauge"u8, "Activations taken by the invoker and not yet stored and acked."u8);
        writer.WriteSample("invoker_activations_in_flight"u8, metrics.InFlight);
        WriteHistogram(writer, "invoker_activation_wait_seconds"u8, "From the transaction's start to the start of init (cold) or run (warm): the record's waitTime."u8, metrics.Wait);
        WriteHistogram(writer, "invoker_activation_init_seconds"u8, "The /init of cold starts: the record's initTime."u8, metrics.Init);
        WriteHistogram(writer, "invoker_activation_run_seconds"u8, "From the start of /run to its answer, for activations that reached /run."u8, metrics.Run);
    }

    private static void WriteHistogram(PrometheusTextWriter writer, ReadOnlySpan<byte> name, ReadOnlySpan<byte> help, LatencyHistogram histogram)
    {
        Span<long> cumulative = stackalloc long[LatencyHistogram.BucketCount];
        // The sum is read after the buckets: it may include an observation whose bucket was read before it landed, never miss one counted.
        histogram.CopyCumulative(cumulative);
        long sum = histogram.SumMillis;
        writer.WriteFamily(name, "histogram"u8, help);
        writer.WriteHistogram(name, LatencyHistogram.BoundsMillis, cumulative, sum);
    }

    private void WritePool(PrometheusTextWriter writer, ContainerPoolSnapshot snapshot)
    {
        writer.WriteFamily("invoker_containers"u8, "gauge"u8, "Containers by state (docs/metrics.md)."u8);
        writer.WriteSample("invoker_containers"u8, "state"u8, "prewarmed"u8, snapshot.Prewarmed);
        writer.WriteSample("invoker_containers"u8, "state"u8, "initializing"u8, snapshot.Initializing);
        writer.WriteSample("invoker_containers"u8, "state"u8, "idle"u8, snapshot.Idle);
        writer.WriteSample("invoker_containers"u8, "state"u8, "running"u8, snapshot.Running);
        writer.WriteSample("invoker_containers"u8, "state"u8, "paused"u8, snapshot.Paused);
        writer.WriteSample("invoker_containers"u8, "state"u8, "draining"u8, snapshot.Draining);
        writer.WriteSample("invoker_containers"u8, "state"u8, "removing"u8, snapshot.Removing);
        writer.WriteFamily("invoker_pool_buffered"u8, "gauge"u8, "Activations waiting in the pool's FIFO buffer for capacity (docs/openwhisk.md section 6)."u8);
        writer.WriteSample("invoker_pool_buffered"u8, pool.Buffered);
        writer.WriteFamily("invoker_slots_in_use"u8, "gauge"u8, "Container slots held: activations between their container choice and completion."u8);
        writer.WriteSample("invoker_slots_in_use"u8, snapshot.SlotsInUse);
        writer.WriteFamily("invoker_slots_capacity"u8, "gauge"u8, "Container slots held or free to take now, across all containers."u8);
        writer.WriteSample("invoker_slots_capacity"u8, snapshot.SlotCapacity);
        writer.WriteFamily("invoker_slot_utilization"u8, "gauge"u8, "invoker_slots_in_use / invoker_slots_capacity; 0 without containers."u8);
        writer.WriteSample("invoker_slot_utilization"u8, snapshot.SlotCapacity == 0 ? 0.0 : (double)snapshot.SlotsInUse / snapshot.SlotCapacity);
        writer.WriteFamily("invoker_memory_in_use_bytes"u8, "gauge"u8, "Memory of every container not yet destroyed, prewarmed ones included."u8);
        writer.WriteSample("invoker_memory_in_use_bytes"u8, snapshot.MemoryInUseMegabytes << 20);
        writer.WriteFamily("invoker_memory_capacity_bytes"u8, "gauge"u8, "userMemory: the memory all containers may use together."u8);
        writer.WriteSample("invoker_memory_capacity_bytes"u8, pool.Options.UserMemoryMegabytes << 20);
        writer.WriteFamily("invoker_gc_heap_bytes"u8, "gauge"u8, "The managed heap after the last garbage collection (a soak watches it for growth)."u8);
        writer.WriteSample("invoker_gc_heap_bytes"u8, GC.GetGCMemoryInfo().HeapSizeBytes);
        writer.WriteFamily("invoker_gc_allocated_bytes_total"u8, "counter"u8, "Bytes the process has allocated on the managed heap (divided by activations: what each one allocates)."u8);
        writer.WriteSample("invoker_gc_allocated_bytes_total"u8, GC.GetTotalAllocatedBytes());
        writer.WriteFamily("invoker_gc_collections_total"u8, "counter"u8, "Garbage collections of generation 0 (each collection of an older generation collects generation 0 too)."u8);
        writer.WriteSample("invoker_gc_collections_total"u8, GC.CollectionCount(0));
    }
}
