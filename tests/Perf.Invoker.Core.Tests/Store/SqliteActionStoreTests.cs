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
}
