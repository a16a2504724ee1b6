using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Tests.Store;

[Trait("Category", "Unit")]
public sealed class SqliteActivationStoreFilterTests
{
    [Fact]
    public async Task Since_and_upto_bound_the_start_time_inclusively_in_lists_and_counts()
    {
        using var temp = new TempDatabase();
        var store = new SqliteActivationStore(temp.Database);
        foreach (long start in new long[] { 1000, 2000, 3000, 4000 })
        {
            await store.StoreAsync(TempDatabase.Record(start: start), default);
        }

        IReadOnlyList<ActivationRecord> middle = await store.ListAsync("guest", null, 10, 0, since: 2000, upto: 3000, default);

        Assert.Equal([3000L, 2000L], middle.Select(r => r.Start));
        Assert.Equal(3, await store.CountAsync("guest", null, since: 2000, upto: long.MaxValue, default));
        Assert.Equal(4, await store.CountAsync("guest", "hello", since: 0, upto: long.MaxValue, default));
        Assert.Equal(0, await store.CountAsync("alice", null, since: 0, upto: long.MaxValue, default));
    }

    [Fact]
    public async Task An_action_invoked_through_a_binding_is_found_by_the_binding_and_name()
    {
        using var temp = new TempDatabase();
        var store = new SqliteActivationStore(temp.Database);
        ActivationRecord template = TempDatabase.Record(name: "echo");
        var bound = new ActivationRecord
        {
            Namespace = template.Namespace,
            Name = template.Name,
            Subject = template.Subject,
            ActivationId = template.ActivationId,
            Start = template.Start,
            End = template.End,
            Response = template.Response,
            Logs = template.Logs,
            Version = template.Version,
            Annotations =
            [
                new Parameter { Key = "path", Value = RawJson.FromString("guest/utils/echo") },
                new Parameter { Key = "binding", Value = RawJson.FromString("guest/mine") },
            ],
        };
        await store.StoreAsync(bound, default);

        Assert.Single(await store.ListAsync("guest", "mine/echo", 10, 0, default));
        Assert.Empty(await store.ListAsync("guest", "utils/echo", 10, 0, default));
    }

    [Fact]
    public async Task An_action_in_a_package_is_found_by_package_and_name_as_OpenWhisks_activation_view_keys_it()
    {
        using var temp = new TempDatabase();
        var store = new SqliteActivationStore(temp.Database);
        ActivationRecord plain = TempDatabase.Record(name: "echo");
        ActivationRecord packaged = TempDatabase.Record(name: "echo");
        packaged = new ActivationRecord
        {
            Namespace = packaged.Namespace,
            Name = packaged.Name,
            Subject = packaged.Subject,
            ActivationId = packaged.ActivationId,
            Start = packaged.Start,
            End = packaged.End,
            Response = packaged.Response,
            Logs = packaged.Logs,
            Version = packaged.Version,
            Annotations = [new Parameter { Key = "path", Value = RawJson.FromString("guest/utils/echo") }],
        };
        await store.StoreAsync(plain, default);
        await store.StoreAsync(packaged, default);

        Assert.Equal([plain.ActivationId], (await store.ListAsync("guest", "echo", 10, 0, default)).Select(r => r.ActivationId));
        Assert.Equal([packaged.ActivationId], (await store.ListAsync("guest", "utils/echo", 10, 0, default)).Select(r => r.ActivationId));
        Assert.Equal("echo", (await store.FindAsync("guest", packaged.ActivationId, default))!.Name);
    }
}
