using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Tests.Store;

[Trait("Category", "Unit")]
public sealed class SqliteActionStoreTests
{
    [Fact]
    public async Task CreatedAction_HasRevisionOne_AndGetReturnsItsSpec()
    {
        using var temp = new TempDatabase();
        var store = new SqliteActionStore(temp.Database);

        StoredAction? created = await store.PutAsync("guest", "hello", TempDatabase.Spec(), overwrite: false);
        StoredAction? fetched = await new SqliteActionStore(temp.Database).GetAsync("guest", "hello");

        Assert.NotNull(created);
        Assert.Equal(1, created.Revision);
        Assert.NotNull(fetched);
        Assert.Equal(("guest", "hello", 1L), (fetched.Namespace, fetched.Name, fetched.Revision));
        Assert.Equal(JsonModel.ToJsonString(TempDatabase.Spec()), JsonModel.ToJsonString(fetched.Spec));
    }

    [Fact]
    public async Task PutWithoutOverwrite_OfAnExistingAction_ReturnsNull_AndKeepsTheOldOne()
    {
        using var temp = new TempDatabase();
        var store = new SqliteActionStore(temp.Database);
        await store.PutAsync("guest", "hello", TempDatabase.Spec(code: "old"), overwrite: false);

        Assert.Null(await store.PutAsync("guest", "hello", TempDatabase.Spec(code: "new"), overwrite: false));
        Assert.Equal("old", (await store.GetAsync("guest", "hello"))!.Spec.Exec.Code);
    }

    [Fact]
    public async Task Overwrite_RaisesTheRevision_AndEveryReaderSeesTheNewSpec()
    {
        using var temp = new TempDatabase();
        var store = new SqliteActionStore(temp.Database);
        await store.PutAsync("guest", "hello", TempDatabase.Spec(concurrency: 1), overwrite: true);
        StoredAction before = (await store.GetAsync("guest", "hello"))!;

        StoredAction? after = await store.PutAsync("guest", "hello", TempDatabase.Spec(concurrency: 50), overwrite: true);
        StoredAction fromFile = (await new SqliteActionStore(temp.Reopen()).GetAsync("guest", "hello"))!;

        Assert.Equal(1, before.Executable.Concurrency);
        Assert.Equal(2, after!.Revision);
        Assert.Equal(50, (await store.GetAsync("guest", "hello"))!.Executable.Concurrency);
        Assert.Equal((2L, 50), (fromFile.Revision, fromFile.Executable.Concurrency));
    }

    [Fact]
    public async Task Executable_IsMadeOncePerRevision()
    {
        using var temp = new TempDatabase();
        var store = new SqliteActionStore(temp.Database);
        await store.PutAsync("guest", "hello", TempDatabase.Spec(), overwrite: true);

        ExecutableAction first = (await store.GetAsync("guest", "hello"))!.Executable;
        ExecutableAction second = (await store.GetAsync("guest", "hello"))!.Executable;
        await store.PutAsync("guest", "hello", TempDatabase.Spec(), overwrite: true);
        ExecutableAction third = (await store.GetAsync("guest", "hello"))!.Executable;

        Assert.Same(first, second);
        Assert.NotSame(first, third);
        Assert.Equal("guest/hello", first.Path);
    }

    [Fact]
    public async Task Delete_RemovesTheAction_AndReportsWhetherItExisted()
    {
        using var temp = new TempDatabase();
        var store = new SqliteActionStore(temp.Database);
        await store.PutAsync("guest", "hello", TempDatabase.Spec(), overwrite: false);
        Assert.NotNull(await store.GetAsync("guest", "hello"));

        Assert.True(await store.DeleteAsync("guest", "hello"));
        Assert.False(await store.DeleteAsync("guest", "hello"));
        Assert.Null(await store.GetAsync("guest", "hello"));
        Assert.Equal(1, (await store.PutAsync("guest", "hello", TempDatabase.Spec(), overwrite: false))!.Revision);
    }

    [Fact]
    public async Task List_ReturnsTheNamespacesActionsByName_WithLimitAndSkip()
    {
        using var temp = new TempDatabase();
        var store = new SqliteActionStore(temp.Database);
        foreach (string name in new[] { "c", "a", "d", "b" })
        {
            await store.PutAsync("guest", name, TempDatabase.Spec(), overwrite: false);
        }

        await store.PutAsync("other", "z", TempDatabase.Spec(), overwrite: false);

        Assert.Equal(["a", "b", "c", "d"], (await store.ListAsync("guest", 10, 0)).Select(a => a.Name));
        Assert.Equal(["b", "c"], (await store.ListAsync("guest", 2, 1)).Select(a => a.Name));
    }

    [Fact]
    public async Task CorruptSpec_IsAStoreRecordExceptionNamingTheAction()
    {
        using var temp = new TempDatabase();
        temp.ExecuteRaw("INSERT INTO actions(namespace, name, revision, spec) VALUES('guest', 'broken', 1, x'7b7d');");
        var store = new SqliteActionStore(temp.Database);

        var error = await Assert.ThrowsAsync<StoreRecordException>(async () => await store.GetAsync("guest", "broken"));

        Assert.Equal("guest/broken", error.Key);
        Assert.Equal("actions", error.Table);
    }

    [Fact]
    public async Task Many_large_actions_keep_the_cache_under_its_bound_while_every_one_is_still_served()
    {
        using var temp = new TempDatabase();
        const long Bound = 8L << 20;
        var store = new SqliteActionStore(temp.Database, cacheBytes: Bound);
        string code = new('x', 1 << 20);
        await store.PutAsync("guest", "hot", TempDatabase.Spec(code: "hot" + code), overwrite: true);
        for (int i = 0; i < 40; i++)
        {
            await store.PutAsync("guest", $"big{i}", TempDatabase.Spec(code: code), overwrite: true);
            Assert.NotNull(await store.GetAsync("guest", "hot"));
            Assert.InRange(store.CachedBytes, 1, Bound);
        }

        for (int i = 0; i < 40; i++)
        {
            Assert.Equal(code, (await store.GetAsync("guest", $"big{i}"))!.Spec.Exec.Code);
            Assert.InRange(store.CachedBytes, 1, Bound);
        }

        Assert.InRange(store.CachedActions, 2, 8);
    }

    [Fact]
    public async Task An_action_larger_than_the_whole_cache_is_served_but_not_kept()
    {
        using var temp = new TempDatabase();
        var store = new SqliteActionStore(temp.Database, cacheBytes: 1024);
        await store.PutAsync("guest", "small", TempDatabase.Spec(code: "s"), overwrite: true);
        await store.PutAsync("guest", "large", TempDatabase.Spec(code: new string('x', 4096)), overwrite: true);

        Assert.Equal(4096, (await store.GetAsync("guest", "large"))!.Spec.Exec.Code!.Length);
        Assert.Equal(1, store.CachedActions);
        Assert.InRange(store.CachedBytes, 1, 1024);
    }
}
