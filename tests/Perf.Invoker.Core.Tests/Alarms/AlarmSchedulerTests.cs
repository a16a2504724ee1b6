using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using Perf.Invoker.Alarms;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;
using Perf.Invoker.Tests.Store;

namespace Perf.Invoker.Tests.Alarms;

/// <summary>The alarms feed and its scheduler on a fake clock, over a real SQLite file and a recording trigger target.</summary>
[Trait("Category", "Unit")]
public sealed class AlarmSchedulerTests : IDisposable
{
    private const string Key = "uuid:key";

    private readonly TempDatabase _temp = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-07T13:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly RecordingTarget _target = new();
    private readonly SqliteAlarmStore _store;
    private readonly AlarmScheduler _scheduler;
    private readonly AlarmFeed _feed;

    public AlarmSchedulerTests()
    {
        _store = new SqliteAlarmStore(_temp.Database);
        _scheduler = new AlarmScheduler(_time, _store, _target, _ => { });
        _feed = new AlarmFeed(_store, _scheduler, _target);
    }

    public void Dispose()
    {
        _scheduler.Dispose();
        _temp.Dispose();
    }

    private Task<AlarmFeedResult> InvokeAsync(string feed, string parameters) =>
        _feed.InvokeAsync(feed, "guest", RawJson.Parse(parameters), CancellationToken.None);

    private static string Params(string lifecycleEvent, string more = "") =>
        $$"""{"lifecycleEvent":"{{lifecycleEvent}}","triggerName":"/_/T","authKey":"{{Key}}"{{more}}}""";

    private Task AdvanceAsync(TimeSpan by)
    {
        _time.Advance(by);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_cron_alarm_fires_its_trigger_with_its_payload_at_each_match()
    {
        AlarmFeedResult created = await InvokeAsync("alarm", Params("CREATE", ""","cron":"* * * * *","trigger_payload":{"n":1}"""));

        Assert.True(created.Success, created.Result.ToString());
        Assert.Equal("""{"status":"success"}""", created.Result.ToString());
        await AdvanceAsync(TimeSpan.FromSeconds(59));
        Assert.Empty(_target.Fires);
        await AdvanceAsync(TimeSpan.FromSeconds(1));
        await Eventually.True(() => _target.Fires.Count == 1, "the first fire at 13:01:00");
        await AdvanceAsync(TimeSpan.FromMinutes(1));
        await Eventually.True(() => _target.Fires.Count == 2, "the second fire at 13:02:00");
        Assert.All(_target.Fires, fire => Assert.Equal(("guest", "T", """{"n":1}"""), fire));
    }

    [Fact]
    public async Task An_interval_alarm_fires_at_its_start_date_and_every_interval_after_it()
    {
        await InvokeAsync("interval", Params("CREATE", ""","minutes":2,"startDate":"2026-12-07T13:00:10Z","trigger_payload":"hello" """));

        await AdvanceAsync(TimeSpan.FromSeconds(10));
        await Eventually.True(() => _target.Fires.Count == 1, "the fire at the start date");
        await AdvanceAsync(TimeSpan.FromMinutes(1));
        Assert.Single(_target.Fires);
        await AdvanceAsync(TimeSpan.FromMinutes(1));
        await Eventually.True(() => _target.Fires.Count == 2, "the fire one interval later");
        Assert.Equal("""{"payload":"hello"}""", _target.Fires[0].Payload);
    }

    [Fact]
    public async Task An_interval_without_a_start_date_starts_30_seconds_after_its_creation()
    {
        await InvokeAsync("interval", Params("CREATE", ""","minutes":1"""));

        await AdvanceAsync(TimeSpan.FromSeconds(29));
        Assert.Empty(_target.Fires);
        await AdvanceAsync(TimeSpan.FromSeconds(1));
        await Eventually.True(() => _target.Fires.Count == 1, "the first fire 30 s after creation");
    }

    [Fact]
    public async Task A_once_alarm_fires_once_and_is_then_switched_off_or_deletes_its_trigger_and_rules()
    {
        await InvokeAsync("once", Params("CREATE", ""","date":"2026-12-07T13:05:00Z" """));
        await AdvanceAsync(TimeSpan.FromMinutes(5));
        await Eventually.True(() => _target.Fires.Count == 1, "the one fire");
        await Eventually.True(async () => (await _store.GetAsync("guest", "T"))?.Status.Active == false, "switched off after the fire");
        Assert.Equal("Automatically disabled after firing once", (await _store.GetAsync("guest", "T"))!.Status.Reason!.Message);

        await InvokeAsync("once", Params("DELETE"));
        await InvokeAsync("once", Params("CREATE", ""","date":1796648760000,"deleteAfterFire":"rules" """));
        await AdvanceAsync(TimeSpan.FromMinutes(2));
        await Eventually.True(() => _target.Deleted.Contains(("T", true)), "the trigger deleted with its rules");
        Assert.Null(await _store.GetAsync("guest", "T"));
    }

    [Fact]
    public async Task A_fire_refused_with_404_switches_the_alarm_off_with_the_reason()
    {
        _target.FireStatus = 404;
        await InvokeAsync("alarm", Params("CREATE", ""","cron":"* * * * *" """));

        await AdvanceAsync(TimeSpan.FromMinutes(1));
        await Eventually.True(async () => (await _store.GetAsync("guest", "T"))?.Status.Active == false, "switched off");
        AlarmReason reason = (await _store.GetAsync("guest", "T"))!.Status.Reason!;
        Assert.Equal(("AUTO", 404), (reason.Kind, reason.StatusCode));
        Assert.Equal(0, _scheduler.ArmedCount);
        await AdvanceAsync(TimeSpan.FromMinutes(5));
        Assert.Single(_target.Fires);
    }

    [Fact]
    public async Task An_alarm_past_its_stop_date_is_switched_off_after_its_last_fire()
    {
        await InvokeAsync("alarm", Params("CREATE", ""","cron":"* * * * *","stopDate":"2026-12-07T13:02:30Z" """));

        await AdvanceAsync(TimeSpan.FromMinutes(1));
        await Eventually.True(() => _target.Fires.Count == 1, "the first fire");
        await AdvanceAsync(TimeSpan.FromMinutes(1));
        await Eventually.True(async () => (await _store.GetAsync("guest", "T"))?.Status.Active == false, "switched off after the last fire before the stop date");
        Assert.Equal(2, _target.Fires.Count);
    }

    [Fact]
    public async Task Stored_alarms_are_armed_again_by_a_new_scheduler_as_after_a_restart()
    {
        await InvokeAsync("alarm", Params("CREATE", ""","cron":"*/10 * * * * *" """));
        _scheduler.Dispose();

        using var restarted = new AlarmScheduler(_time, new SqliteAlarmStore(_temp.Reopen()), _target, _ => { });
        await restarted.StartAsync(CancellationToken.None);
        Assert.Equal(1, restarted.ArmedCount);
        await AdvanceAsync(TimeSpan.FromSeconds(10));
        await Eventually.True(() => _target.Fires.Count == 1, "the restarted scheduler's fire");
    }

    [Fact]
    public async Task Read_shows_the_configuration_and_status_and_pause_stops_the_fires_until_unpause()
    {
        await InvokeAsync("alarm", Params("CREATE", ""","cron":"* * * * *","trigger_payload":{"a":1}"""));

        AlarmFeedResult read = await InvokeAsync("alarm", Params("READ"));
        Assert.Equal(
            """{"config":{"name":"T","namespace":"guest","payload":{"a":1},"cron":"* * * * *"},"status":{"active":true,"dateChanged":1796648400000,"dateChangedISO":"2026-12-07T13:00:00Z"}}""",
            read.Result.ToString());
        Assert.True((await InvokeAsync("alarm", Params("PAUSE"))).Success);
        await AdvanceAsync(TimeSpan.FromMinutes(3));
        Assert.Empty(_target.Fires);
        Assert.True((await InvokeAsync("alarm", Params("UNPAUSE"))).Success);
        await AdvanceAsync(TimeSpan.FromMinutes(1));
        await Eventually.True(() => _target.Fires.Count == 1, "fires again after UNPAUSE");
    }

    [Fact]
    public async Task Update_changes_the_schedule_and_needs_something_to_change()
    {
        await InvokeAsync("alarm", Params("CREATE", ""","cron":"0 0 * * *" """));

        AlarmFeedResult nothing = await InvokeAsync("alarm", Params("UPDATE"));
        Assert.Equal("""{"error":{"error":"no updatable parameters were specified"}}""", nothing.Result.ToString());
        Assert.True((await InvokeAsync("alarm", Params("UPDATE", ""","cron":"* * * * *" """))).Success);
        await AdvanceAsync(TimeSpan.FromMinutes(1));
        await Eventually.True(() => _target.Fires.Count == 1, "the updated schedule's fire");
    }

    [Theory]
    [InlineData("alarm", """{"lifecycleEvent":"CREATE","triggerName":"/_/T"}""", """{"error":{"error":"no authKey parameter was provided"}}""")]
    [InlineData("alarm", """{"lifecycleEvent":"CREATE","authKey":"k"}""", """{"error":{"error":"no trigger name parameter was provided"}}""")]
    [InlineData("alarm", """{"triggerName":"/_/T","authKey":"k"}""", """{"error":"unsupported lifecycleEvent"}""")]
    [InlineData("alarm", """{"lifecycleEvent":"CREATE","triggerName":"/_/T","authKey":"k"}""", """{"error":{"error":"alarms trigger feed is missing the cron parameter"}}""")]
    [InlineData("alarm", """{"lifecycleEvent":"CREATE","triggerName":"/_/T","authKey":"k","cron":"61 * * * *"}""", """{"error":{"error":"cron pattern '61 * * * *' is not valid"}}""")]
    [InlineData("interval", """{"lifecycleEvent":"CREATE","triggerName":"/_/T","authKey":"k"}""", """{"error":{"error":"interval trigger feed is missing the minutes parameter"}}""")]
    [InlineData("interval", """{"lifecycleEvent":"CREATE","triggerName":"/_/T","authKey":"k","minutes":-2}""", """{"error":{"error":"the minutes parameter must be an integer greater than zero"}}""")]
    [InlineData("once", """{"lifecycleEvent":"CREATE","triggerName":"/_/T","authKey":"k"}""", """{"error":{"error":"alarms once trigger feed is missing the date parameter"}}""")]
    [InlineData("once", """{"lifecycleEvent":"CREATE","triggerName":"/_/T","authKey":"k","date":"soon"}""", """{"error":{"error":"date parameter 'soon' is not a valid Date"}}""")]
    [InlineData("once", """{"lifecycleEvent":"CREATE","triggerName":"/_/T","authKey":"k","date":"2026-12-08","deleteAfterFire":"maybe"}""", """{"error":{"error":"deleteAfterFire parameter must be one of [false, true, rules]."}}""")]
    [InlineData("alarm", """{"lifecycleEvent":"CREATE","triggerName":"/_/T","authKey":"k","cron":"* * * * *","startDate":"2026-12-08","stopDate":"2026-12-07T20:00:00Z"}""", """{"error":{"error":"stopDate parameter '2026-12-07T20:00:00Z' must be greater than the startDate parameter '2026-12-08'"}}""")]
    [InlineData("alarm", """{"lifecycleEvent":"READ","triggerName":"/_/T","authKey":"uuid:key"}""", """{"error":{"error":"could not find trigger /guest/T in the database"}}""")]
    public async Task Refusals_are_the_alarms_package_s_words(string feed, string parameters, string expected)
    {
        AlarmFeedResult result = await InvokeAsync(feed, parameters);

        Assert.False(result.Success);
        Assert.Equal(expected, result.Result.ToString());
    }

    [Fact]
    public async Task A_key_that_does_not_own_the_trigger_is_refused_and_a_second_create_conflicts()
    {
        _target.CheckStatus = 403;
        Assert.Equal("""{"error":{"error":"Trigger authentication request failed."}}""", (await InvokeAsync("alarm", Params("CREATE", ""","cron":"* * * * *" """))).Result.ToString());

        _target.CheckStatus = 200;
        Assert.True((await InvokeAsync("alarm", Params("CREATE", ""","cron":"* * * * *" """))).Success);
        AlarmFeedResult again = await InvokeAsync("alarm", Params("CREATE", ""","cron":"* * * * *" """));
        Assert.Equal("""{"error":{"error":"error creating alarm trigger.","message":"Document update conflict."}}""", again.Result.ToString());
    }

    private sealed class RecordingTarget : IAlarmTarget
    {
        private readonly ConcurrentQueue<(string, string, string)> _fires = new();

        public int CheckStatus { get; set; } = 200;

        public int FireStatus { get; set; } = 202;

        public List<(string Namespace, string Trigger, string Payload)> Fires => [.. _fires];

        public ConcurrentBag<(string Trigger, bool WithRules)> Deleted { get; } = [];

        public Task<int> CheckTriggerAsync(string authKey, string @namespace, string trigger, CancellationToken cancellationToken) =>
            Task.FromResult(authKey == Key ? CheckStatus : 401);

        public Task<int> FireAsync(string @namespace, string trigger, RawJson payload, CancellationToken cancellationToken)
        {
            _fires.Enqueue((@namespace, trigger, payload.ToString()));
            return Task.FromResult(FireStatus);
        }

        public Task DeleteTriggerAsync(string @namespace, string trigger, bool withRules, CancellationToken cancellationToken)
        {
            Deleted.Add((trigger, withRules));
            return Task.CompletedTask;
        }
    }
}
