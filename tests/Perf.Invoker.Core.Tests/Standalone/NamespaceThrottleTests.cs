using Microsoft.Extensions.Time.Testing;
using Perf.Invoker.Acknowledgements;
using Perf.Invoker.Feed.Embedded;
using Perf.Invoker.Host.Standalone;
using Perf.Invoker.Model;
using Perf.Invoker.Store;
using Perf.Invoker.Tests.Store;

namespace Perf.Invoker.Tests.Standalone;

[Trait("Category", "Unit")]
public sealed class NamespaceThrottleTests
{
    /// <summary>Mid-minute, so that a test's own steps never cross into the next one.</summary>
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 7, 13, 30, 20, TimeSpan.Zero));

    private readonly InFlightActivations _inFlight = new(new ActivationWaiters());

    private NamespaceThrottle Throttle(NamespaceLimits limits, IReadOnlyDictionary<string, NamespaceLimits>? overrides = null) =>
        new(["guest", "flood"], limits, overrides ?? new Dictionary<string, NamespaceLimits>(), _inFlight, _time);

    private ValueTask Complete(ActivationId id) => _inFlight.SendCompletionAsync(
        new ControllerInstanceId { AsString = "standalone" },
        new CompletionMessage
        {
            Transid = new TransactionId { Id = "t", StartMillis = 0 },
            ActivationId = id,
            Instance = new InvokerInstanceId { Instance = 0, UniqueName = "standalone", DisplayedName = "standalone", UserMemory = ByteSize.FromMegabytes(2048) },
        },
        CancellationToken.None);

    [Fact]
    public void Past_its_concurrent_invocations_a_namespace_is_refused_with_OpenWhisk_s_words_and_other_namespaces_are_not()
    {
        NamespaceThrottle throttle = Throttle(new NamespaceLimits(ConcurrentInvocations: 2, InvocationsPerMinute: 1000, FiresPerMinute: 60));
        Assert.NotNull(throttle.TryAdmit("flood", out _));
        Assert.NotNull(throttle.TryAdmit("flood", out _));

        Assert.Null(throttle.TryAdmit("flood", out string? refusal));
        Assert.Equal("Too many concurrent requests in flight (count: 2, allowed: 2).", refusal);
        Assert.NotNull(throttle.TryAdmit("guest", out _));
        Assert.Equal((2, 1), (throttle["flood"].InFlight, throttle["guest"].InFlight));
        Assert.Equal(1, throttle.RefusedConcurrent);
    }

    [Fact]
    public async Task An_activation_holds_its_slot_until_its_completion_arrives_and_a_second_completion_gives_back_nothing()
    {
        using var temp = new TempDatabase();
        var feed = new EmbeddedActivationFeed(new SqliteActivationQueue(temp.Database));
        NamespaceThrottle throttle = Throttle(new NamespaceLimits(1, 1000, 60));
        var id = ActivationId.NewId();
        NamespaceCounters slot = throttle.TryAdmit("guest", out _)!;

        Assert.True(await throttle.EnqueueAsync(slot, id, feed, "m"u8.ToArray(), CancellationToken.None));
        Assert.Null(throttle.TryAdmit("guest", out string? refusal));
        Assert.Equal("Too many concurrent requests in flight (count: 1, allowed: 1).", refusal);

        await Complete(id);
        await Complete(id);

        Assert.Equal(0, throttle["guest"].InFlight);
        Assert.NotNull(throttle.TryAdmit("guest", out _));
        Assert.Equal(1, throttle["guest"].InFlight);
    }

    [Fact]
    public async Task A_full_queue_refuses_the_enqueue_and_gives_the_slot_back()
    {
        using var temp = new TempDatabase();
        var feed = new EmbeddedActivationFeed(new SqliteActivationQueue(temp.Database), capacity: 1);
        NamespaceThrottle throttle = Throttle(new NamespaceLimits(10, 1000, 60));
        Assert.True(await throttle.EnqueueAsync(throttle.TryAdmit("guest", out _)!, ActivationId.NewId(), feed, "m"u8.ToArray(), CancellationToken.None));

        Assert.False(await throttle.EnqueueAsync(throttle.TryAdmit("guest", out _)!, ActivationId.NewId(), feed, "m"u8.ToArray(), CancellationToken.None));

        Assert.Equal((1, 1, 1L), (throttle["guest"].InFlight, _inFlight.Count, throttle.RefusedQueueFull));
    }

    [Fact]
    public void Past_its_invocations_per_minute_every_request_is_refused_and_counted_until_the_clock_s_minute_turns()
    {
        NamespaceThrottle throttle = Throttle(new NamespaceLimits(1000, InvocationsPerMinute: 3, FiresPerMinute: 60));
        for (int i = 0; i < 3; i++)
        {
            throttle.TryAdmit("guest", out _)!.Release();
        }

        Assert.Null(throttle.TryAdmit("guest", out string? fourth));
        Assert.Null(throttle.TryAdmit("guest", out string? fifth));
        Assert.Equal("Too many requests in the last minute (count: 4, allowed: 3).", fourth);
        Assert.Equal("Too many requests in the last minute (count: 5, allowed: 3).", fifth);
        Assert.Equal(0, throttle["guest"].InFlight);

        _time.Advance(TimeSpan.FromSeconds(40));

        Assert.NotNull(throttle.TryAdmit("guest", out _));
        Assert.Equal(2, throttle.RefusedRate);
    }

    [Fact]
    public void A_request_refused_for_concurrency_still_counts_against_the_minute_as_OpenWhisk_checks_the_rate_first()
    {
        NamespaceThrottle throttle = Throttle(new NamespaceLimits(ConcurrentInvocations: 1, InvocationsPerMinute: 2, FiresPerMinute: 60));
        Assert.NotNull(throttle.TryAdmit("guest", out _));
        Assert.Null(throttle.TryAdmit("guest", out string? concurrent));
        Assert.Null(throttle.TryAdmit("guest", out string? rate));

        Assert.StartsWith("Too many concurrent requests in flight", concurrent, StringComparison.Ordinal);
        Assert.Equal("Too many requests in the last minute (count: 3, allowed: 2).", rate);
    }

    [Fact]
    public void Fires_have_their_own_minute_count_apart_from_invocations()
    {
        NamespaceThrottle throttle = Throttle(new NamespaceLimits(10, InvocationsPerMinute: 1, FiresPerMinute: 2));
        Assert.NotNull(throttle.TryAdmit("guest", out _));

        Assert.True(throttle.TryFire("guest", out _));
        Assert.True(throttle.TryFire("guest", out _));
        Assert.False(throttle.TryFire("guest", out string? refusal));
        Assert.Equal("Too many requests in the last minute (count: 3, allowed: 2).", refusal);
        Assert.Equal(1, throttle.RefusedFires);
    }

    [Fact]
    public void A_namespace_with_limits_of_its_own_gets_them_and_the_others_get_the_deployment_s()
    {
        NamespaceThrottle throttle = Throttle(NamespaceLimits.OpenWhisk, new Dictionary<string, NamespaceLimits> { ["flood"] = new(5, 100, 7) });

        Assert.Equal(new NamespaceLimits(30, 60, 60), throttle["guest"].Limits);
        Assert.Equal(new NamespaceLimits(5, 100, 7), throttle["flood"].Limits);
    }

    [Fact]
    public async Task Concurrent_admissions_never_take_more_slots_than_the_limit()
    {
        NamespaceThrottle throttle = Throttle(new NamespaceLimits(ConcurrentInvocations: 7, InvocationsPerMinute: int.MaxValue, FiresPerMinute: 60));
        int admitted = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(() =>
        {
            for (int i = 0; i < 1000; i++)
            {
                if (throttle.TryAdmit("guest", out _) is not null)
                {
                    Interlocked.Increment(ref admitted);
                }
            }
        })));

        Assert.Equal(7, admitted);
        Assert.Equal(7, throttle["guest"].InFlight);
    }
}

[Trait("Category", "Unit")]
public sealed class NamespaceLimitsTests : IDisposable
{
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("invoker-limits-");

    public void Dispose() => _data.Delete(recursive: true);

    [Fact]
    public void Without_a_limits_file_no_namespace_has_limits_of_its_own()
    {
        Assert.Empty(NamespaceLimits.ReadOverrides(_data.FullName, NamespaceLimits.OpenWhisk));
    }

    [Fact]
    public void A_line_sets_the_limits_it_names_and_the_others_are_the_defaults()
    {
        File.WriteAllText(Path.Combine(_data.FullName, NamespaceLimits.FileName), """
            # heavy users
            batch concurrentInvocations=500 invocationsPerMinute=60000

            quiet firesPerMinute=0
            """);

        IReadOnlyDictionary<string, NamespaceLimits> overrides = NamespaceLimits.ReadOverrides(_data.FullName, NamespaceLimits.OpenWhisk);

        Assert.Equal(new NamespaceLimits(500, 60000, 60), overrides["batch"]);
        Assert.Equal(new NamespaceLimits(30, 60, 0), overrides["quiet"]);
    }

    [Theory]
    [InlineData("batch concurrency=5", "unknown limit 'concurrency'")]
    [InlineData("batch concurrentInvocations=-1", "'concurrentInvocations=-1' is not LIMIT=N")]
    [InlineData("batch concurrentInvocations", "'concurrentInvocations' is not LIMIT=N")]
    [InlineData("bad/name concurrentInvocations=1", "expected 'NAMESPACE LIMIT=N …'")]
    public void A_malformed_line_is_refused_with_its_line_number(string line, string reason)
    {
        File.WriteAllText(Path.Combine(_data.FullName, NamespaceLimits.FileName), "ok invocationsPerMinute=1\n" + line + "\n");

        FormatException e = Assert.Throws<FormatException>(() => NamespaceLimits.ReadOverrides(_data.FullName, NamespaceLimits.OpenWhisk));

        Assert.Contains("line 2", e.Message, StringComparison.Ordinal);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }
}
