using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using Perf.Invoker.CouchDb;
using Perf.Invoker.Invocation;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Pool;
using Perf.Invoker.Store;
using Perf.Invoker.Tests.Invocation;
using Perf.Invoker.Tests.Pool;

namespace Perf.Invoker.Tests.CouchDb;

[Trait("Category", "Unit")]
public sealed class CouchActivationStoreTests : IAsyncLifetime
{
    private const string Id = "6f1c3e2a9b8d4c7e8f0a1b2c3d4e5f60";

    private readonly ConcurrentQueue<string> _reports = new();
    private FakeActivationsDb _couch = null!;
    private CouchDbClient _client = null!;

    public async Task InitializeAsync()
    {
        _couch = await FakeActivationsDb.StartAsync();
        _client = _couch.Client();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _couch.DisposeAsync();
    }

    /// <summary>Without the linger unless a test is about it: the others pin group commit itself.</summary>
    private CouchActivationStore Store(TimeProvider? time = null, TimeSpan? linger = null) => new(_client, _reports.Enqueue, time, linger ?? TimeSpan.Zero);

    /// <summary>A record of an action in a package (its path <c>guest/mypkg/hello</c>) invoked by the user of namespace <c>guest</c>.</summary>
    private static ActivationRecord PackagedRecord(ActivationId? id = null, string user = "guest", int statusCode = 0) => new()
    {
        Namespace = user,
        Name = "hello",
        Subject = user,
        ActivationId = id ?? ActivationId.Parse(Id),
        Start = 1754400000123,
        End = 1754400000456,
        Response = new ActivationResponse { StatusCode = statusCode, Result = RawJson.Parse("""{"hello":"world"}""") },
        Logs = ["2026-08-05T12:00:00.200000000Z stdout: hi"],
        Version = "0.0.1",
        Annotations =
        [
            .. new ExecutableAction("guest/mypkg", "hello", new ActionSpec { Exec = new ActionExec { Kind = "nodejs:20", Code = "x" } }).RecordAnnotations,
            new() { Key = "timeout", Value = RawJson.False },
            new() { Key = "waitTime", Value = RawJson.FromInt64(35) },
        ],
        Duration = 333,
    };

    private static ActivationId IdOf(int i) => ActivationId.Parse($"{i:x32}");

    [Fact]
    public async Task ADocument_IsOpenWhisksActivation_IdByTheUsersNamespace_AnnotationsAnArray_NoCauseWhenNone()
    {
        await using CouchActivationStore store = Store(new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1754400000500)));

        await store.StoreAsync(PackagedRecord(), default);

        // One line on the wire; broken here for reading.
        string expected = $$$"""
            {"_id":"guest/{{{Id}}}","entityType":"activation","updated":1754400000500,
            "namespace":"guest","name":"hello","subject":"guest","activationId":"{{{Id}}}",
            "start":1754400000123,"end":1754400000456,"response":{"statusCode":0,"result":{"hello":"world"}},
            "logs":["2026-08-05T12:00:00.200000000Z stdout: hi"],"version":"0.0.1","publish":false,
            "annotations":[{"key":"limits","value":{"timeout":60000,"memory":256,"logs":10,"concurrency":1}},{"key":"path","value":"guest/mypkg/hello"},
            {"key":"kind","value":"nodejs:20"},{"key":"timeout","value":false},{"key":"waitTime","value":35}],"duration":333}
            """.ReplaceLineEndings("");
        Assert.Equal(expected, _couch.Documents[$"guest/{Id}"]);
        Assert.Equal($$"""{"docs":[{{expected}}]}""", Assert.Single(_couch.BulkBodies));
    }

    [Fact]
    public async Task ADocument_ReadsBackAsTheRecord_ByFindWithTheUsersNamespace()
    {
        await using CouchActivationStore store = Store();
        ActivationRecord record = PackagedRecord(user: "alice");
        await store.StoreAsync(record, default);

        ActivationRecord? found = await store.FindAsync("alice", record.ActivationId, default);

        Assert.NotNull(found);
        Assert.Equal(JsonModel.ToJsonString(record), JsonModel.ToJsonString(found));
        Assert.Equal($"alice/{Id}", Assert.Single(_couch.Gets));
    }

    [Fact]
    public async Task Find_OfAnActivationWithoutADocument_IsNull()
    {
        await using CouchActivationStore store = Store();

        Assert.Null(await store.FindAsync("guest", IdOf(7), default));
        Assert.Empty(_reports);
    }

    [Fact]
    public async Task RecordsStoredWhileABatchIsOnTheWire_GoTogetherInTheNext_AndNoneCompletesBeforeItsBatchIsAnswered()
    {
        await using CouchActivationStore store = Store();
        _couch.Gate = FakeActivationsDb.ClosedGate();
        Task first = store.StoreAsync(PackagedRecord(IdOf(0)), default).AsTask();
        await Eventually.True(() => _couch.BulkBodies.Count == 1, "the first batch reached CouchDB");

        Task[] later = [.. Enumerable.Range(1, 50).Select(i => store.StoreAsync(PackagedRecord(IdOf(i)), default).AsTask())];
        // Nothing can have completed: every request is held at the gate.
        Assert.False(first.IsCompleted);
        Assert.DoesNotContain(later, task => task.IsCompleted);
        _couch.Gate.SetResult();
        await Task.WhenAll([first, .. later]);

        Assert.Equal(2, store.Batches);
        Assert.Equal(51, store.Documents);
        Assert.Equal(51, _couch.Documents.Count);
        long[] sizes = store.BatchSizes.Snapshot();
        Assert.Equal((1, 1), (sizes[1], sizes[50]));
        Assert.Equal(1, BatchSizeHistogram.Median(sizes));
    }

    [Fact]
    public async Task WithNothingOnTheWire_ABatchWaitsItsLinger_SoRecordsArrivingMeanwhileGoInOneRequest()
    {
        var time = new FakeTimeProvider();
        await using CouchActivationStore store = Store(time, linger: TimeSpan.FromMilliseconds(25));
        Task[] stored = [.. Enumerable.Range(0, 3).Select(i => store.StoreAsync(PackagedRecord(IdOf(i)), default).AsTask())];
        // All three were queued before the fake clock moves, so the one batch the linger ends takes them all.
        await Eventually.True(() =>
        {
            time.Advance(TimeSpan.FromMilliseconds(1));
            return !_couch.BulkBodies.IsEmpty;
        }, "the linger ended");
        await Task.WhenAll(stored);

        Assert.Equal(1, store.Batches);
        Assert.Equal(3, _couch.Documents.Count);
    }

    [Fact]
    public async Task TheAck_GoesOutBeforeTheRecordIsBatched_AsOpenWhisksInvokerOrdersThem()
    {
        await using CouchActivationStore store = Store();
        Assert.True(((IActivationStore)store).StoresAfterAcknowledgement);
    }

    [Fact]
    public async Task AConflictRow_MeansTheRecordIsThereAlready_AndCountsAsStored_KeepingTheFirst()
    {
        _couch.Documents[$"guest/{Id}"] = "first";
        await using CouchActivationStore store = Store();

        await store.StoreAsync(PackagedRecord(), default);

        Assert.Equal("first", _couch.Documents[$"guest/{Id}"]);
        Assert.Single(_couch.BulkBodies);
        Assert.Empty(_reports);
    }

    [Fact]
    public async Task AFailedRequest_IsRetried_UntilEveryRecordIsStored_ReportedOncePerAttempt()
    {
        _couch.FailNext.Enqueue(500);
        await using CouchActivationStore store = Store();

        await store.StoreAsync(PackagedRecord(), default);

        Assert.True(_couch.Documents.ContainsKey($"guest/{Id}"));
        Assert.Equal(2, store.Batches);
        Assert.Contains("HTTP 500", Assert.Single(_reports));
    }

    [Fact]
    public async Task ARowError_RetriesOnlyThatRecord_AfterItsBackoff_TheOthersCompleteAtOnce()
    {
        var time = new FakeTimeProvider();
        _couch.Gate = FakeActivationsDb.ClosedGate();
        await using CouchActivationStore store = Store(time);
        Task held = store.StoreAsync(PackagedRecord(IdOf(0)), default).AsTask();
        await Eventually.True(() => _couch.BulkBodies.Count == 1, "the first batch reached CouchDB");
        _couch.RowErrors[$"guest/{IdOf(2)}"] = "forbidden";
        Task[] batch = [.. Enumerable.Range(1, 3).Select(i => store.StoreAsync(PackagedRecord(IdOf(i)), default).AsTask())];
        _couch.Gate.SetResult();

        await Task.WhenAll(held, batch[0], batch[2]);
        await Eventually.True(() => !_reports.IsEmpty, "the failure was reported");
        Assert.False(batch[1].IsCompleted);
        Assert.Contains("1 of 3 activation records (forbidden: scripted)", Assert.Single(_reports));
        _couch.RowErrors.Clear();
        // The backoff waits on the store's clock: the retry goes only once it has passed.
        await Eventually.True(() => { time.Advance(TimeSpan.FromSeconds(1)); return batch[1].IsCompleted; }, "the record was retried");
        await batch[1];

        Assert.Equal(4, _couch.Documents.Count);
        Assert.Equal(5, store.Documents);
    }

    [Fact]
    public async Task RowsAnsweredInAnotherOrder_AreMatchedByTheirId_SoOnlyTheRecordThatFailedIsRetried_AndNoneCompletesUnstored()
    {
        var time = new FakeTimeProvider();
        _couch.Gate = FakeActivationsDb.ClosedGate();
        _couch.ReverseRows = true;
        await using CouchActivationStore store = Store(time);
        Task held = store.StoreAsync(PackagedRecord(IdOf(0)), default).AsTask();
        await Eventually.True(() => _couch.BulkBodies.Count == 1, "the first batch reached CouchDB");
        _couch.RowErrors[$"guest/{IdOf(1)}"] = "forbidden";
        Task[] batch = [.. Enumerable.Range(1, 3).Select(i => store.StoreAsync(PackagedRecord(IdOf(i)), default).AsTask())];
        _couch.Gate.SetResult();

        // Matched by position, the last record would have taken the first record's error and waited for a retry.
        await Eventually.True(() => held.IsCompleted && batch[1].IsCompleted && batch[2].IsCompleted, "the stored records completed");
        await Eventually.True(() => !_reports.IsEmpty, "the failure was reported");
        // And the first record would have taken the last row's "ok" and completed without being stored.
        Assert.False(batch[0].IsCompleted);
        Assert.False(_couch.Documents.ContainsKey($"guest/{IdOf(1)}"));
        Assert.Contains("1 of 3 activation records (forbidden: scripted)", Assert.Single(_reports));
        _couch.RowErrors.Clear();
        await Eventually.True(() => { time.Advance(TimeSpan.FromSeconds(1)); return batch[0].IsCompleted; }, "the record was retried");
        await batch[0];

        Assert.Equal(4, _couch.Documents.Count);
        // The retry carried the failed record alone: one document, not the two that were stored.
        Assert.Equal(5, store.Documents);
    }

    [Fact]
    public async Task ARequestTooLargeForCouchDb_IsSplitInHalves_UntilEachPartIsStored()
    {
        _couch.Gate = FakeActivationsDb.ClosedGate();
        _couch.TooLargeAbove = 2;
        await using CouchActivationStore store = Store();
        Task held = store.StoreAsync(PackagedRecord(IdOf(0)), default).AsTask();
        await Eventually.True(() => _couch.BulkBodies.Count == 1, "the first batch reached CouchDB");
        Task[] four = [.. Enumerable.Range(1, 4).Select(i => store.StoreAsync(PackagedRecord(IdOf(i)), default).AsTask())];
        _couch.Gate.SetResult();

        await Task.WhenAll([held, .. four]);

        Assert.Equal(5, _couch.Documents.Count);
        long[] sizes = store.BatchSizes.Snapshot();
        Assert.Equal((1, 1, 2), (sizes[1], sizes[4], sizes[2]));
        Assert.Empty(_reports);
    }

    [Fact]
    public async Task ADocumentCouchDbRefusesForItsSize_IsReportedAndLetGo_NotRetriedForever()
    {
        _couch.RowErrors[$"guest/{Id}"] = "too_large";
        await using CouchActivationStore store = Store();

        await store.StoreAsync(PackagedRecord(), default);

        Assert.Empty(_couch.Documents);
        Assert.Equal(1, store.Batches);
        Assert.Contains($"guest/{Id}", Assert.Single(_reports));
    }

    [Fact]
    public async Task Disposal_FailsTheRecordsNotYetStored()
    {
        _couch.Gate = FakeActivationsDb.ClosedGate();
        CouchActivationStore store = Store();
        Task held = store.StoreAsync(PackagedRecord(IdOf(0)), default).AsTask();
        await Eventually.True(() => _couch.BulkBodies.Count == 1, "the first batch reached CouchDB");
        Task queued = store.StoreAsync(PackagedRecord(IdOf(1)), default).AsTask();

        await store.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => held);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => queued);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.StoreAsync(PackagedRecord(IdOf(2)), default));
    }

    [Fact]
    public async Task RecordsTheStoreLevelsOrTheUserExclude_AreAcknowledgedButNotWritten()
    {
        await using var factory = new ScriptedContainerFactory();
        await using var pool = new ContainerPool(factory, new ContainerPoolOptions { UserMemoryMegabytes = 1024 });
        await using CouchActivationStore store = Store();
        var acks = new RecordingSinks();
        var invoker = new ActivationInvoker(pool, store, acks, new InvokerInstanceId { Instance = 0, UserMemory = ByteSize.FromMegabytes(1024) },
            storePolicy: new ActivationStorePolicy(ActivationStoreLevel.StoreFailures, ActivationStoreLevel.StoreAlways));
        var written = new List<ActivationId>();
        var skipped = new List<ActivationId>();

        async Task CompleteAsync(bool blocking, int statusCode, bool extraLogging = false, string limits = "{}", bool stored = true)
        {
            ActivationMessage message = Message(blocking, extraLogging, limits);
            await invoker.CompleteAsync(message, PackagedRecord(message.ActivationId, statusCode: statusCode), default);
            (stored ? written : skipped).Add(message.ActivationId);
        }

        await CompleteAsync(blocking: true, statusCode: 0, stored: false);
        await CompleteAsync(blocking: true, statusCode: 1);
        await CompleteAsync(blocking: true, statusCode: 0, extraLogging: true);
        await CompleteAsync(blocking: false, statusCode: 0);
        await CompleteAsync(blocking: false, statusCode: 0, limits: """{"storeActivations":false}""", stored: false);
        await CompleteAsync(blocking: false, statusCode: 0, extraLogging: true, limits: """{"storeActivations":false}""", stored: false);

        Assert.Equal(written.Select(id => $"guest/{id}").Order(), _couch.Documents.Keys.Order());
        Assert.Equal(6, acks.Acks.Count);
    }

    /// <summary>A message of the user <c>guest</c> with the given flags and <c>user.limits</c>.</summary>
    private static ActivationMessage Message(bool blocking, bool extraLogging, string limits)
    {
        ActivationMessage plain = Activations.Message(blocking: blocking);
        return new ActivationMessage
        {
            Transid = plain.Transid with { ExtraLogging = extraLogging },
            Action = plain.Action,
            User = new Identity { Subject = plain.User.Subject, Namespace = plain.User.Namespace, Authkey = plain.User.Authkey, Rights = plain.User.Rights, Limits = RawJson.Parse(limits) },
            ActivationId = plain.ActivationId,
            RootControllerIndex = plain.RootControllerIndex,
            Blocking = blocking,
            Content = plain.Content,
        };
    }

    [Fact]
    public void TheMedianBatchSize_IsReadFromTheHistogram()
    {
        long[] counts = new long[CouchActivationStore.MaxBatchDocuments + 1];
        Assert.Equal(0, BatchSizeHistogram.Median(counts));
        counts[1] = 2;
        counts[20] = 3;
        counts[500] = 1;

        Assert.Equal(20, BatchSizeHistogram.Median(counts));
    }
}
