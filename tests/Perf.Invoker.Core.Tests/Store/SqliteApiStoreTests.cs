using System.Text;
using Perf.Invoker.Store;

namespace Perf.Invoker.Tests.Store;

[Trait("Category", "Unit")]
public sealed class SqliteApiStoreTests
{
    [Fact]
    public async Task An_API_is_kept_per_namespace_and_base_path_replaced_by_a_put_and_gone_after_a_delete()
    {
        using var temp = new TempDatabase();
        var store = new SqliteApiStore(temp.Database);

        await store.PutAsync("guest", "/a", Encoding.UTF8.GetBytes("""{"v":1}"""));
        await store.PutAsync("guest", "/a", Encoding.UTF8.GetBytes("""{"v":2}"""));
        await store.PutAsync("guest", "/b", Encoding.UTF8.GetBytes("""{"v":3}"""));
        await store.PutAsync("alice", "/a", Encoding.UTF8.GetBytes("""{"v":4}"""));

        Assert.Equal([("/a", """{"v":2}"""), ("/b", """{"v":3}""")], store.List("guest").Select(a => (a.BasePath, Encoding.UTF8.GetString(a.Document))));
        Assert.True(await store.DeleteAsync("guest", "/a"));
        Assert.False(await store.DeleteAsync("guest", "/a"));
        var reopened = new SqliteApiStore(temp.Reopen());
        Assert.Equal(["/b"], reopened.List("guest").Select(a => a.BasePath));
        Assert.Single(reopened.List("alice"));
    }

    [Fact]
    public async Task A_database_made_before_the_apis_table_gains_it_when_opened()
    {
        using var temp = new TempDatabase();
        temp.ExecuteRaw("DROP TABLE apis;");

        var store = new SqliteApiStore(temp.Reopen());
        await store.PutAsync("guest", "/", Encoding.UTF8.GetBytes("{}"));

        Assert.Single(store.List("guest"));
    }
}
