using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Tests.Store;

[Trait("Category", "Unit")]
public sealed class SqliteTriggerStoreTests
{
    private static readonly FullyQualifiedEntityName s_trigger = new() { Path = "guest", Name = "T" };
    private static readonly FullyQualifiedEntityName s_action = new() { Path = "guest", Name = "A" };

    private static TriggerSpec Trigger(TriggerRules? rules = null) => new()
    {
        Parameters = [new Parameter { Key = "p", Value = RawJson.Parse("1") }],
        Limits = RawJson.EmptyObject,
        Version = "0.0.1",
        Publish = false,
        Annotations = [],
        Rules = rules,
    };

    private static RuleSpec Rule() => new() { Trigger = s_trigger, Action = s_action, Version = "0.0.1" };

    [Fact]
    public async Task A_change_writes_a_rule_and_its_trigger_s_link_together_and_both_read_back_after_a_reopen()
    {
        using var temp = new TempDatabase();
        var store = new SqliteTriggerStore(temp.Database);
        await store.ChangeAsync(change => change.PutTrigger("guest", "T", 1, Trigger()));

        await store.ChangeAsync(change =>
        {
            StoredTrigger trigger = change.GetTrigger("guest", "T")!;
            change.PutTrigger("guest", "T", 2, Trigger(trigger.Rules.With("guest/R", new ReducedRule { Action = s_action, Status = RuleStatus.Active })));
            return change.PutRule("guest", "R", 2, Rule());
        });

        var reopened = new SqliteTriggerStore(temp.Reopen());
        StoredTrigger stored = (await reopened.GetTriggerAsync("guest", "T"))!;
        Assert.Equal(2, stored.Updated);
        Assert.Equal("""{"guest/R":{"action":{"path":"guest","name":"A"},"status":"active"}}""", JsonModel.ToJsonString(stored.Rules));
        Assert.Equal("guest/A", (await reopened.GetRuleAsync("guest", "R"))!.Spec.Action.ToString());
    }

    [Fact]
    public async Task A_change_that_throws_leaves_nothing_of_what_it_wrote()
    {
        using var temp = new TempDatabase();
        var store = new SqliteTriggerStore(temp.Database);

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await store.ChangeAsync<bool>(change =>
        {
            change.PutTrigger("guest", "T", 1, Trigger());
            change.PutRule("guest", "R", 1, Rule());
            throw new InvalidOperationException("refused halfway");
        }));

        Assert.Null(await store.GetTriggerAsync("guest", "T"));
        Assert.Null(await store.GetRuleAsync("guest", "R"));
        Assert.True(await store.ChangeAsync(change => change.PutTrigger("guest", "T", 1, Trigger()) is not null), "the writer works on after a rollback");
    }

    [Fact]
    public async Task Lists_are_newest_change_first_per_namespace_and_count_counts_them()
    {
        using var temp = new TempDatabase();
        var store = new SqliteTriggerStore(temp.Database);
        await store.ChangeAsync(change =>
        {
            change.PutTrigger("guest", "old", 1, Trigger());
            change.PutTrigger("guest", "new", 3, Trigger());
            change.PutTrigger("guest", "middle", 2, Trigger());
            return change.PutTrigger("alice", "hers", 4, Trigger());
        });

        IReadOnlyList<StoredTrigger> page = await store.ListTriggersAsync("guest", limit: 2, skip: 0);
        IReadOnlyList<StoredTrigger> rest = await store.ListTriggersAsync("guest", limit: 2, skip: 2);

        Assert.Equal(["new", "middle"], page.Select(t => t.Name));
        Assert.Equal(["old"], rest.Select(t => t.Name));
        Assert.Equal(3, await store.CountTriggersAsync("guest"));
        Assert.Equal(0, await store.CountRulesAsync("guest"));
    }

    [Fact]
    public async Task A_data_directory_from_before_triggers_existed_opens_and_gains_their_tables()
    {
        using var temp = new TempDatabase();
        temp.Database.Dispose();
        foreach (string file in new[] { temp.FilePath, temp.FilePath + "-wal", temp.FilePath + "-shm" })
        {
            File.Delete(file);
        }

        temp.ExecuteRaw("CREATE TABLE actions(namespace TEXT NOT NULL, name TEXT NOT NULL, revision INTEGER NOT NULL, spec BLOB NOT NULL, PRIMARY KEY(namespace, name)) WITHOUT ROWID;");

        SqliteDatabase reopened = temp.Reopen();
        await new SqliteTriggerStore(reopened).ChangeAsync(change => change.PutTrigger("guest", "T", 1, Trigger()));
        await new SqliteAlarmStore(reopened).PutAsync("guest", "T", new AlarmSpec { Payload = RawJson.EmptyObject, Cron = "* * * * *", Status = new AlarmStatus { Active = true, DateChanged = 1 } });

        Assert.NotNull(await new SqliteTriggerStore(reopened).GetTriggerAsync("guest", "T"));
        Assert.Single(new SqliteAlarmStore(reopened).ListAll());
    }
}
