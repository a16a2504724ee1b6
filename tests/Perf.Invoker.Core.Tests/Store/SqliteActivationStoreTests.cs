using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Tests.Store;

[Trait("Category", "Unit")]
public sealed class SqliteActivationStoreTests
{
    [Fact]
    public async Task StoredRecord_IsFoundById_WithTheSameJson()
    {
        using var temp = new TempDatabase();
        var store = new SqliteActivationStore(temp.Database);
        ActivationRecord record = TempDatabase.Record();

        await store.StoreAsync(record, default);
        ActivationRecord? found = await store.FindAsync(record.Namespace, record.ActivationId, default);

        Assert.NotNull(found);
        Assert.Equal(JsonModel.ToJsonString(record), JsonModel.ToJsonString(found));
    }

    [Fact]
    public async Task FindAsync_UnknownId_ReturnsNull()
    {
        using var temp = new TempDatabase();
        var store = new SqliteActivationStore(temp.Database);

        Assert.Null(await store.FindAsync("guest", ActivationId.NewId(), default));
    }

    [Fact]
    public async Task StoringTheSameIdTwice_KeepsOneRecord_TheFirst()
    {
        using var temp = new TempDatabase();
        var store = new SqliteActivationStore(temp.Database);
        ActivationId id = ActivationId.NewId();

        Assert.True(await store.TryStoreAsync(TempDatabase.Record(id: id, result: """{"run":1}"""), default));
        Assert.False(await store.TryStoreAsync(TempDatabase.Record(id: id, result: """{"run":2}"""), default));
        await store.StoreAsync(TempDatabase.Record(id: id, result: """{"run":3}"""), default);

        IReadOnlyList<ActivationRecord> all = await store.ListAsync("guest", null, 100, 0, default);
        ActivationRecord only = Assert.Single(all);
        Assert.Equal("""{"run":1}""", System.Text.Encoding.UTF8.GetString(only.Response.Result!.Value.Utf8.Span));
    }

    [Fact]
    public async Task ListAsync_ReturnsNewestFirst_WithLimitAndSkip()
    {
        using var temp = new TempDatabase();
        var store = new SqliteActivationStore(temp.Database);
        ActivationRecord[] records = [.. Enumerable.Range(0, 10).Select(i => TempDatabase.Record(start: 1000 + ((i * 7) % 10)))];
        foreach (ActivationRecord record in records)
        {
            await store.StoreAsync(record, default);
        }

        IReadOnlyList<ActivationRecord> page = await store.ListAsync("guest", null, limit: 3, skip: 2, default);

        Assert.Equal([1007L, 1006L, 1005L], page.Select(r => r.Start));
        Assert.Empty(await store.ListAsync("other", null, 10, 0, default));
        Assert.Equal(10, (await store.ListAsync("guest", null, 100, 0, default)).Count);
    }

    [Fact]
    public async Task ListAsync_ByName_ReturnsOnlyThatActionsRecords()
    {
        using var temp = new TempDatabase();
        var store = new SqliteActivationStore(temp.Database);
        await store.StoreAsync(TempDatabase.Record(name: "a", start: 1), default);
        await store.StoreAsync(TempDatabase.Record(name: "b", start: 2), default);
        await store.StoreAsync(TempDatabase.Record(name: "a", start: 3), default);

        IReadOnlyList<ActivationRecord> a = await store.ListAsync("guest", "a", 10, 0, default);

        Assert.Equal([3L, 1L], a.Select(r => r.Start));
        Assert.All(a, r => Assert.Equal("a", r.Name));
    }

    [Fact]
    public async Task Records_SurviveReopeningTheFile()
    {
        using var temp = new TempDatabase();
        ActivationRecord record = TempDatabase.Record();
        await new SqliteActivationStore(temp.Database).StoreAsync(record, default);

        var reopened = new SqliteActivationStore(temp.Reopen());

        Assert.NotNull(await reopened.FindAsync(record.Namespace, record.ActivationId, default));
    }

    [Fact]
    public async Task CorruptRecord_IsAStoreRecordExceptionNamingTheId_AndOtherRecordsStillRead()
    {
        using var temp = new TempDatabase();
        var store = new SqliteActivationStore(temp.Database);
        ActivationRecord good = TempDatabase.Record();
        await store.StoreAsync(good, default);
        const string BadId = "0123456789abcdef0123456789abcdef";
        temp.ExecuteRaw($"INSERT INTO activations(id, namespace, name, start, record) VALUES('{BadId}', 'guest', 'hello', 1, x'7b226e616d65');");

        var error = await Assert.ThrowsAsync<StoreRecordException>(async () => await store.FindAsync("guest", ActivationId.Parse(BadId), default));

        Assert.Equal(BadId, error.Key);
        Assert.Contains(BadId, error.Message, StringComparison.Ordinal);
        Assert.NotNull(await store.FindAsync(good.Namespace, good.ActivationId, default));
        await Assert.ThrowsAsync<StoreRecordException>(async () => await store.ListAsync("guest", null, 10, 0, default));
    }
}
