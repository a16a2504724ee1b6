using System.Text.Json;
using Perf.Invoker.Exposition;
using Perf.Invoker.Feed;
using Perf.Invoker.Invocation;
using Perf.Invoker.Metrics;
using Perf.Invoker.Model;
using Perf.Invoker.Pool;
using Perf.Invoker.Tests.Feed;
using Perf.Invoker.Tests.Invocation;
using Perf.Invoker.Tests.Pool;
using Eventually = Perf.Invoker.Tests.Support.Eventually;

namespace Perf.Invoker.Tests.Exposition;

/// <summary>
/// The metrics of real activations: the pool, the proxy and the action client run for real against scripted runtimes
/// (Kestrel on 127.0.0.1) that answer what each activation asks for in its parameters.
/// </summary>
[Trait("Category", "Unit")]
public sealed class InvokerMetricsWriterTests : IAsyncLifetime
{
    private const long UserMemory = 1024;

    private readonly ScriptedContainerFactory _factory = new();
    private readonly RecordingSinks _sinks = new();
    private readonly ContainerPool _pool;
    private readonly ActivationInvoker _invoker;

    public InvokerMetricsWriterTests()
    {
        _factory.Run = static (_, body) => Task.FromResult(
            body.GetProperty("value").TryGetProperty("answer", out JsonElement answer)
                ? answer.GetString() switch
                {
                    "application" => RuntimeAnswer.Ok("""{"error":"the action said no"}"""),
                    _ => new RuntimeAnswer(502, """{"error":"the action broke"}"""),
                }
                : RuntimeAnswer.Ok());
        _pool = new ContainerPool(_factory, new ContainerPoolOptions { UserMemoryMegabytes = UserMemory });
        _invoker = new ActivationInvoker(_pool, _sinks, _sinks, new InvokerInstanceId { Instance = 0, UserMemory = ByteSize.FromMegabytes(UserMemory) });
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await Eventually.True(() => _pool.SlotsInUse == 0, "every slot is given back");
        _sinks.AssertExactlyOneAckPerRecord();
        await _pool.DisposeAsync();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task Metrics_AfterActivationsThroughTheInvoker_CountEachStatus_AndTimeWaitInitAndRun()
    {
        ExecutableAction action = Activations.Action("function main() { return {}; }");
        foreach (string content in new[] { "{}", "{}", "{}", """{"answer":"application"}""", """{"answer":"developer"}""", "{}" })
        {
            await _invoker.InvokeAsync(Activations.Message(content), action);
        }

        // More memory than the invoker has: a whisk error before any container is chosen (docs/openwhisk.md §4).
        await _invoker.InvokeAsync(Activations.Message(), Activations.Action("function main() { return {}; }", memory: 2048, name: "huge"));

        Dictionary<string, double> samples = PrometheusText.Parse(PrometheusText.Write(new InvokerMetricsWriter(_invoker.Metrics, _pool)));
        Assert.Equal(4, samples["""invoker_activations_total{status="success"}"""]);
        Assert.Equal(1, samples["""invoker_activations_total{status="application_error"}"""]);
        Assert.Equal(1, samples["""invoker_activations_total{status="developer_error"}"""]);
        Assert.Equal(1, samples["""invoker_activations_total{status="whisk_error"}"""]);
        Assert.Equal(0, samples["invoker_activations_in_flight"]);
        // Every activation waited; two cold starts (the first, and the one after the developer error removed its
        // container) initialized; the six that were given a container ran.
        Assert.Equal(7, samples["invoker_activation_wait_seconds_count"]);
        Assert.Equal(7, samples["""invoker_activation_wait_seconds_bucket{le="+Inf"}"""]);
        Assert.Equal(2, samples["invoker_activation_init_seconds_count"]);
        Assert.Equal(6, samples["invoker_activation_run_seconds_count"]);
        AssertCumulative(samples, "invoker_activation_wait_seconds");
        AssertCumulative(samples, "invoker_activation_init_seconds");
        AssertCumulative(samples, "invoker_activation_run_seconds");
        Assert.Equal(UserMemory << 20, samples["invoker_memory_capacity_bytes"]);
        // The heap after the last collection: 0 while none has run yet, which a short test may see.
        Assert.True(samples["invoker_gc_heap_bytes"] >= 0);
        Assert.True(samples["invoker_gc_allocated_bytes_total"] > 0, "allocated bytes are read at scrape time");
        Assert.True(samples.ContainsKey("invoker_gc_collections_total"));
        Assert.False(samples.ContainsKey("invoker_feed_credits_in_use"), "no feed, no feed gauges");
    }

    [Fact]
    public async Task Metrics_WhileAnActivationRuns_ShowItInFlightAndItsContainerRunning_ThenIdle()
    {
        var release = new TaskCompletionSource<RuntimeAnswer>(TaskCreationOptions.RunContinuationsAsynchronously);
        _factory.Run = (_, _) => release.Task;
        var writer = new InvokerMetricsWriter(_invoker.Metrics, _pool);
        Task<ActivationRecord> running = _invoker.InvokeAsync(Activations.Message(), Activations.Action("function main() { return {}; }", concurrency: 4));

        await Eventually.True(() => _factory.Created.Sum(c => c.RunCount) == 1, "the activation reached /run");
        Dictionary<string, double> during = PrometheusText.Parse(PrometheusText.Write(writer));
        Assert.Equal(1, during["invoker_activations_in_flight"]);
        Assert.Equal(1, during["""invoker_containers{state="running"}"""]);
        Assert.Equal(1, during["invoker_slots_in_use"]);
        Assert.Equal(4, during["invoker_slots_capacity"]);
        Assert.Equal(0.25, during["invoker_slot_utilization"]);
        Assert.Equal(256L << 20, during["invoker_memory_in_use_bytes"]);

        release.SetResult(RuntimeAnswer.Ok());
        await running;
        Dictionary<string, double> after = PrometheusText.Parse(PrometheusText.Write(writer));
        Assert.Equal(0, after["invoker_activations_in_flight"]);
        Assert.Equal(0, after["""invoker_containers{state="running"}"""]);
        Assert.Equal(1, after["""invoker_containers{state="idle"}"""]);
        Assert.Equal(0, after["invoker_slots_in_use"]);
        Assert.Equal(0, after["invoker_slot_utilization"]);
        Assert.Equal(1, after["""invoker_activations_total{status="success"}"""]);
    }

    [Fact]
    public void Metrics_WithAFeedAndASwitch_ShowTheirGauges_AndEveryFamilyOnce()
    {
        var invokerSwitch = new InvokerSwitch();
        invokerSwitch.Disable();
        var feed = new MessageFeed(new CountingSource(), new RecordingCommitter(), _ => Task.CompletedTask, new MessageFeedOptions { MaxPeek = 8, Switch = invokerSwitch });

        string text = PrometheusText.Write(new InvokerMetricsWriter(_invoker.Metrics, _pool, [feed], invokerSwitch));
        Dictionary<string, double> samples = PrometheusText.Parse(text);

        Assert.Equal(0, samples["invoker_feed_credits_in_use"]);
        Assert.Equal(8, samples["invoker_feed_max_peek"]);
        Assert.Equal(0, samples["invoker_enabled"]);
        Assert.Equal(0, samples["invoker_pool_buffered"]);
        Assert.All(new[] { "prewarmed", "initializing", "idle", "running", "paused", "draining", "removing" },
            state => Assert.Equal(0, samples[$$"""invoker_containers{state="{{state}}"}"""]));
        Assert.All(text.Split('\n').Where(l => l.Length > 0 && l[0] != '#'), line => Assert.StartsWith("invoker_", line, StringComparison.Ordinal));
    }

    /// <summary>Bucket counts never decrease with <c>le</c>, and <c>+Inf</c> equals <c>_count</c>.</summary>
    private static void AssertCumulative(Dictionary<string, double> samples, string name)
    {
        double previous = 0;
        foreach (long bound in LatencyHistogram.BoundsMillis)
        {
            double count = samples[$$"""{{name}}_bucket{le="{{(bound / 1000.0).ToString("R", System.Globalization.CultureInfo.InvariantCulture)}}"}"""];
            Assert.True(count >= previous, $"{name}: le={bound}ms has {count} < {previous}");
            previous = count;
        }

        Assert.True(samples[$$"""{{name}}_bucket{le="+Inf"}"""] >= previous);
        Assert.Equal(samples[$"{name}_count"], samples[$$"""{{name}}_bucket{le="+Inf"}"""]);
        Assert.True(samples[$"{name}_sum"] >= 0);
    }
}
