using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Tests.Store;

[Trait("Category", "Unit")]
public sealed class SqlitePackageStoreTests
{
    private static PackageSpec Package(string? parameter = null, PackageBinding? binding = null) => new()
    {
        Binding = binding,
        Parameters = parameter is null ? [] : [new Parameter { Key = "p", Value = RawJson.FromString(parameter) }],
        Publish = false,
    };

    [Fact]
    public async Task A_created_package_has_revision_one_and_is_read_back_with_its_spec()
    {
        using var temp = new TempDatabase();
        var store = new SqlitePackageStore(temp.Database);

        StoredPackage? created = await store.PutAsync("guest", "utils", Package("a"), overwrite: false);
        StoredPackage? fetched = await store.GetAsync("guest", "utils");

        Assert.Equal(1, created!.Revision);
        Assert.Equal(("guest", "utils", "0.0.1", "guest/utils"), (fetched!.Namespace, fetched.Name, fetched.Version, fetched.Path));
        Assert.Equal(JsonModel.ToJsonString(Package("a")), JsonModel.ToJsonString(fetched.Spec));
    }

    [Fact]
    public async Task Put_without_overwrite_of_an_existing_package_is_null_and_overwrite_raises_the_revision()
    {
        using var temp = new TempDatabase();
        var store = new SqlitePackageStore(temp.Database);
        await store.PutAsync("guest", "utils", Package("old"), overwrite: false);

        Assert.Null(await store.PutAsync("guest", "utils", Package("new"), overwrite: false));
        StoredPackage? updated = await store.PutAsync("guest", "utils", Package("new"), overwrite: true);

        Assert.Equal(("0.0.2", "\"new\""), (updated!.Version, (await store.GetAsync("guest", "utils"))!.Spec.Parameters![0].Value.ToString()));
    }

    [Fact]
    public async Task Lists_counts_and_deletes_are_per_namespace()
    {
        using var temp = new TempDatabase();
        var store = new SqlitePackageStore(temp.Database);
        foreach (string name in new[] { "c", "a", "b" })
        {
            await store.PutAsync("guest", name, Package(), overwrite: false);
        }

        await store.PutAsync("alice", "a", Package(), overwrite: false);

        Assert.Equal(["a", "b", "c"], (await store.ListAsync("guest", 10, 0)).Select(p => p.Name));
        Assert.Equal(["b"], (await store.ListAsync("guest", 1, 1)).Select(p => p.Name));
        Assert.Equal(3, await store.CountAsync("guest"));
        Assert.True(await store.DeleteAsync("alice", "a"));
        Assert.False(await store.DeleteAsync("alice", "a"));
        Assert.NotNull(await store.GetAsync("guest", "a"));
        Assert.Equal(0, await store.CountAsync("alice"));
    }

    [Fact]
    public async Task OpenWhisks_empty_binding_reads_as_a_package_and_a_named_one_as_a_binding()
    {
        Assert.Null(JsonModel.Read<PackageSpec>("""{"binding":{}}"""u8.ToArray()).BoundPackage);
        Assert.Equal("utils", JsonModel.Read<PackageSpec>("""{"binding":{"namespace":"guest","name":"utils"}}"""u8.ToArray()).BoundPackage!.Name);

        using var temp = new TempDatabase();
        var store = new SqlitePackageStore(temp.Database);
        await store.PutAsync("guest", "b", Package(binding: new PackageBinding { Namespace = "guest", Name = "utils" }), overwrite: false);
        Assert.Equal("guest", (await store.GetAsync("guest", "b"))!.Spec.BoundPackage!.Namespace);
    }

    [Fact]
    public async Task A_database_made_before_packages_existed_opens_with_the_table_and_keeps_its_actions()
    {
        using var temp = new TempDatabase();
        await new SqliteActionStore(temp.Database).PutAsync("guest", "hello", TempDatabase.Spec(), overwrite: false);
        temp.ExecuteRaw("DROP TABLE packages;");

        SqliteDatabase reopened = temp.Reopen();

        Assert.NotNull(await new SqliteActionStore(reopened).GetAsync("guest", "hello"));
        Assert.NotNull(await new SqlitePackageStore(reopened).PutAsync("guest", "utils", Package(), overwrite: false));
    }
}
