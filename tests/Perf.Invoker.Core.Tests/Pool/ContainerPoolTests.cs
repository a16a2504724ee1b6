using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Perf.Invoker.Model;
using Perf.Invoker.Pool;

namespace Perf.Invoker.Tests.Pool;

/// <summary>
/// Every scheduling behaviour of docs/openwhisk.md §6, by name, against scripted runtimes over real HTTP.
/// Each test ends by checking the invariants of docs/architecture.md §3: no slot held, memory equal to the
/// containers alive, and every container the pool removed destroyed.
/// </summary>
[Trait("Category", "Unit")]
public sealed class ContainerPoolTests : IAsyncLifetime
{
    private const string Code = "function main(p) { return p; }";
    private readonly ScriptedContainerFactory _factory = new();
    private ContainerPool? _pool;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_pool is not null)
        {
            await AssertSettledAsync(_pool);
            await _pool.DisposeAsync();
        }

        await _factory.DisposeAsync();
        Assert.Equal(0, _factory.Live);
    }

    private ContainerPool Pool(long userMemory = 1024, TimeProvider? time = null, IReadOnlyList<PrewarmConfig>? prewarm = null) =>
        _pool = new ContainerPool(_factory, new ContainerPoolOptions
        {
            UserMemoryMegabytes = userMemory,
            Prewarm = prewarm ?? [],
            PauseGrace = TimeSpan.FromSeconds(10),
            IdleTimeout = TimeSpan.FromMinutes(10),
            ConcurrentIdleTimeout = TimeSpan.FromMinutes(30),
        }, time);

    private static ExecutableAction Action(int concurrency = 1, int memory = 256, string name = "hello", string code = Code, string? version = null, int? timeoutMillis = null) =>
        new("guest", name, new ActionSpec
        {
            Exec = new ActionExec { Kind = "nodejs:20", Code = code, Main = "main" },
            Limits = new ActionLimits { Concurrency = concurrency, Memory = memory, Timeout = timeoutMillis },
            Version = version,
        });

    private static Task<ActivationRun> Run(ContainerPool pool, ExecutableAction action, string content = "{}", string ns = "guest") =>
        pool.RunAsync(ns, Activations.Message(content), action).AsTask();

    /// <summary>Lets runs through one at a time or all at once; a run blocks until released.</summary>
    private sealed class Gate
    {
        private readonly SemaphoreSlim _released = new(0);
        private int _waiting;

        public int Waiting => Volatile.Read(ref _waiting);

        public async Task<RuntimeAnswer> PassAsync(RuntimeAnswer answer)
        {
            Interlocked.Increment(ref _waiting);
            await _released.WaitAsync();
            Interlocked.Decrement(ref _waiting);
            return answer;
        }

        public void Release(int count = 1) => _released.Release(count);
    }

    private async Task AssertSettledAsync(ContainerPool pool)
    {
        await Eventually.True(() => pool.SlotsInUse == 0, "every slot is given back");
        await Eventually.True(() => pool.Buffered == 0, "nothing stays buffered");
        await Eventually.True(() => pool.MemoryInUseMegabytes == pool.Containers.Sum(c => c.MemoryMegabytes), "memory in use equals the containers alive");
        await Eventually.True(() => _factory.Live == pool.Containers.Count, "every removed container is destroyed");
    }

    [Fact]
    public async Task WarmContainerWithFreeSlot_IsReusedBeforeColdStart()
    {
        ContainerPool pool = Pool();
        ExecutableAction action = Action();

        ActivationRun first = await Run(pool, action);
        ActivationRun second = await Run(pool, action);

        Assert.True(first.Response.IsSuccess && second.Response.IsSuccess);
        ScriptedContainer container = Assert.Single(_factory.Created);
        Assert.Equal(1, container.InitCount);
        Assert.Equal(2, container.RunCount);
        Assert.NotNull(first.InitMillis);
        Assert.Null(second.InitMillis);
    }

    [Fact]
    public async Task ContainerStillInitializing_TakesRequestsThatWaitForItsInit()
    {
        var init = new Gate();
        _factory.Init = _ => init.PassAsync(RuntimeAnswer.Ok("{\"OK\":true}"));
        ContainerPool pool = Pool();
        ExecutableAction action = Action(concurrency: 5);

        Task<ActivationRun>[] runs = [.. Enumerable.Range(0, 3).Select(_ => Run(pool, action))];
        await Eventually.True(() => init.Waiting == 1, "the first activation starts /init");
        init.Release();
        ActivationRun[] results = await Task.WhenAll(runs);

        Assert.All(results, r => Assert.True(r.Response.IsSuccess));
        ScriptedContainer container = Assert.Single(_factory.Created);
        Assert.Equal(1, container.InitCount);
        Assert.Single(results, r => r.InitMillis is not null);
    }

    [Fact]
    public async Task ContainerWithEverySlotTaken_IsBusy_AndAColdStartServesTheNext()
    {
        var gate = new Gate();
        _factory.Run = (_, _) => gate.PassAsync(RuntimeAnswer.Ok());
        ContainerPool pool = Pool();
        ExecutableAction action = Action(concurrency: 2);

        Task<ActivationRun>[] runs = [.. Enumerable.Range(0, 3).Select(_ => Run(pool, action))];
        await Eventually.True(() => gate.Waiting == 3, "three runs in flight");

        Assert.Equal(2, _factory.Created.Count);
        Assert.Equal([2, 1], _factory.Created.Select(c => c.RunCount).Order().Reverse());
        gate.Release(3);
        await Task.WhenAll(runs);
        Assert.All(_factory.Created, c => Assert.True(c.MaxInFlight <= 2));
    }

    [Fact]
    public async Task BusyContainer_ReturnsToFree_OnItsFirstCompletion()
    {
        var gate = new Gate();
        _factory.Run = (_, _) => gate.PassAsync(RuntimeAnswer.Ok());
        ContainerPool pool = Pool(userMemory: 256);
        ExecutableAction action = Action(concurrency: 2);

        Task<ActivationRun>[] running = [Run(pool, action), Run(pool, action)];
        await Eventually.True(() => gate.Waiting == 2, "both slots taken");
        Task<ActivationRun> third = Run(pool, action);
        await Eventually.True(() => pool.Buffered == 1, "no memory for a second container: the third waits");

        gate.Release();
        await Eventually.True(() => gate.Waiting == 2, "the first completion frees a slot for the third");
        gate.Release(2);
        await Task.WhenAll([.. running, third]);

        Assert.Single(_factory.Created);
    }

    [Fact]
    public async Task Memory_IsCountedOncePerContainer_WhateverItsConcurrency()
    {
        var gate = new Gate();
        _factory.Run = (_, _) => gate.PassAsync(RuntimeAnswer.Ok());
        ContainerPool pool = Pool(userMemory: 256);
        ExecutableAction action = Action(concurrency: 10, memory: 256);

        Task<ActivationRun>[] runs = [.. Enumerable.Range(0, 10).Select(_ => Run(pool, action))];
        await Eventually.True(() => gate.Waiting == 10, "ten activations in one container");

        Assert.Equal(256, pool.MemoryInUseMegabytes);
        Assert.Equal(10, Assert.Single(_factory.Created).MaxInFlight);
        gate.Release(10);
        await Task.WhenAll(runs);
    }

    [Fact]
    public async Task Buffer_IsStrictFifo_AndOnlyItsHeadIsRetriedWhenCapacityChanges()
    {
        var gate = new Gate();
        var order = new List<string>();
        _factory.Run = (_, value) =>
        {
            lock (order)
            {
                order.Add(value.GetProperty("value").GetProperty("n").GetString()!);
            }

            return gate.PassAsync(RuntimeAnswer.Ok());
        };
        ContainerPool pool = Pool(userMemory: 256);
        ExecutableAction hello = Action(name: "hello");
        ExecutableAction other = Action(name: "other");

        Task<ActivationRun> a = Run(pool, hello, """{"n":"a"}""");
        await Eventually.True(() => gate.Waiting == 1, "a runs");
        Task<ActivationRun> b = Run(pool, hello, """{"n":"b"}""");
        Task<ActivationRun> c = Run(pool, other, """{"n":"c"}""");
        Task<ActivationRun> d = Run(pool, hello, """{"n":"d"}""");
        await Eventually.True(() => pool.Buffered == 3, "b, c and d wait in order");

        // d could run in hello's container once a completes, but it must not pass c (strict FIFO).
        gate.Release();
        await Eventually.True(() => gate.Waiting == 1 && order.Count == 2, "b runs next");
        gate.Release();
        await Eventually.True(() => gate.Waiting == 1 && order.Count == 3, "then c, after hello's idle container is evicted");
        gate.Release();
        await Eventually.True(() => gate.Waiting == 1 && order.Count == 4, "then d");
        gate.Release();
        await Task.WhenAll(a, b, c, d);

        Assert.Equal(["a", "b", "c", "d"], order);
    }

    [Fact]
    public async Task IdleContainers_AreEvictedLeastRecentlyUsedFirst_WhenMemoryIsShort()
    {
        ContainerPool pool = Pool(userMemory: 512);
        await Run(pool, Action(name: "x"));
        await Run(pool, Action(name: "y"));
        await Run(pool, Action(name: "x"));   // y is now the least recently used

        await Run(pool, Action(name: "z"));

        await Eventually.True(() => _factory.Created.Single(c => c.Spec.Name.EndsWith("_y", StringComparison.Ordinal)).IsDestroyed, "y was evicted");
        Assert.False(_factory.Created.Single(c => c.Spec.Name.EndsWith("_x", StringComparison.Ordinal)).IsDestroyed);
    }

    [Fact]
    public async Task BusyContainers_AreNeverEvicted()
    {
        var gate = new Gate();
        _factory.Run = (_, _) => gate.PassAsync(RuntimeAnswer.Ok());
        ContainerPool pool = Pool(userMemory: 256);

        Task<ActivationRun> x = Run(pool, Action(name: "x"));
        await Eventually.True(() => gate.Waiting == 1, "x runs");
        Task<ActivationRun> z = Run(pool, Action(name: "z"));
        await Eventually.True(() => pool.Buffered == 1, "z waits: the only container is busy");
        Assert.Single(_factory.Created);

        gate.Release();
        await x;
        await Eventually.True(() => gate.Waiting == 1, "z runs once x's container is idle and evicted");
        gate.Release();
        await z;
        Assert.True(_factory.Created[0].IsDestroyed);
    }

    [Fact]
    public async Task Containers_AreNeverSharedAcrossNamespacesOrActions()
    {
        ContainerPool pool = Pool();

        await Run(pool, Action(name: "a"), ns: "alice");
        await Run(pool, Action(name: "a"), ns: "bob");
        await Run(pool, Action(name: "b"), ns: "alice");
        await Run(pool, Action(name: "a"), ns: "alice");

        Assert.Equal(3, _factory.Created.Count);
    }

    [Fact]
    public async Task RevisionChangeAlone_DoesNotForceANewContainer()
    {
        ContainerPool pool = Pool();

        await Run(pool, Action(version: "0.0.1"));
        await Run(pool, Action(version: "0.0.2"));
        await Run(pool, Action(code: "function main() { return {changed: true}; }"));

        Assert.Equal(2, _factory.Created.Count);
    }

    [Fact]
    public async Task PrewarmedStemCell_OfTheSameKindAndMemory_IsUsedBeforeANewContainer()
    {
        ContainerPool pool = Pool(prewarm: [new PrewarmConfig("nodejs:20", 256, 1)]);
        await Eventually.True(() => _factory.Created.Count == 1, "the stem cell starts");
        ScriptedContainer stemCell = _factory.Created[0];

        ActivationRun run = await Run(pool, Action());

        Assert.True(run.Response.IsSuccess);
        Assert.Equal(1, stemCell.RunCount);
        await Eventually.True(() => _factory.Created.Count == 2, "a new stem cell replaces the one taken");
        Assert.Equal(0, _factory.Created[1].InitCount);
        Assert.Equal(512, pool.MemoryInUseMegabytes);
    }

    [Fact]
    public async Task StemCellReplacement_HasItsMemoryAtOnce_ButStartsOnlyOnceTheActivationThatTookOneIsDone()
    {
        var run = new Gate();
        _factory.Run = (_, _) => run.PassAsync(new RuntimeAnswer(200, "{}"));
        ContainerPool pool = Pool(prewarm: [new PrewarmConfig("nodejs:20", 256, 1)]);
        await Eventually.True(() => _factory.Created.Count == 1, "the stem cell starts");

        Task<ActivationRun> first = Run(pool, Action());
        await Eventually.True(() => run.Waiting == 1, "the activation runs in the stem cell");

        Assert.Equal(512, pool.MemoryInUseMegabytes);
        Assert.Single(_factory.Created);
        run.Release();
        Assert.True((await first).Response.IsSuccess);
        await Eventually.True(() => _factory.Created.Count == 2, "the replacement starts once the activation is done");
    }

    [Fact]
    public async Task StemCellReplacement_TakenBeforeItStarted_StartsAtOnceForItsActivation()
    {
        var run = new Gate();
        _factory.Run = (_, _) => run.PassAsync(new RuntimeAnswer(200, "{}"));
        ContainerPool pool = Pool(prewarm: [new PrewarmConfig("nodejs:20", 256, 1)]);
        await Eventually.True(() => _factory.Created.Count == 1, "the stem cell starts");

        Task<ActivationRun> first = Run(pool, Action(name: "first"));
        await Eventually.True(() => run.Waiting == 1, "the first activation holds the stem cell");
        Task<ActivationRun> second = Run(pool, Action(name: "second"));
        await Eventually.True(() => run.Waiting == 2, "the second runs in the replacement, while the first still holds its own");

        run.Release(2);
        Assert.True((await first).Response.IsSuccess);
        Assert.True((await second).Response.IsSuccess);
        Assert.Equal(1, _factory.Created[1].RunCount);
    }

    [Fact]
    public async Task StemCell_OfAnotherMemorySize_IsNotUsed()
    {
        ContainerPool pool = Pool(prewarm: [new PrewarmConfig("nodejs:20", 128, 1)]);
        await Eventually.True(() => _factory.Created.Count == 1, "the stem cell starts");

        await Run(pool, Action(memory: 256));

        Assert.Equal(0, _factory.Created[0].RunCount);
        Assert.Equal(2, _factory.Created.Count);
    }

    [Fact]
    public async Task StemCell_IsEvictedLast_ForAnActionThatFindsNoOtherRoom_AndStartsAgainOnceMemoryIsBack()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        ContainerPool pool = Pool(userMemory: 640, time: time, prewarm: [new PrewarmConfig("nodejs:20", 256, 2)]);
        await Eventually.True(() => _factory.Created.Count == 2, "the stem cells start");
        await Run(pool, Action(name: "idle", memory: 128));
        ScriptedContainer idle = _factory.Created[2];

        // 512 MB of stem cells and 128 MB idle: the idle container goes first, and that is not enough.
        ActivationRun run = await Run(pool, Action(name: "big", memory: 384));

        Assert.True(run.Response.IsSuccess);
        Assert.True(idle.IsDestroyed);
        Assert.Equal(1, _factory.Created.Count(c => c.IsDestroyed && c.InitCount == 0));
        Assert.Single(pool.Containers, c => c.State == ProxyState.Prewarmed);

        // The big container goes after its idle timeout; with its memory back, the evicted stem cell starts again.
        time.Advance(TimeSpan.FromSeconds(10));
        time.Advance(TimeSpan.FromMinutes(10));
        await Eventually.True(() => _factory.Created.Count == 5, "the evicted stem cell starts again");
        Assert.Equal(2, pool.Containers.Count(c => c.State == ProxyState.Prewarmed));
        Assert.Equal(512, pool.MemoryInUseMegabytes);
    }

    [Fact]
    public async Task InitFailure_AbortsEveryActivationWaitingForIt_WithTheSameResponse_AndRemovesTheContainer()
    {
        var init = new Gate();
        _factory.Init = _ => init.PassAsync(new RuntimeAnswer(502, """{"error":"Initialization has failed due to: SyntaxError"}"""));
        ContainerPool pool = Pool();
        ExecutableAction action = Action(concurrency: 3);

        Task<ActivationRun>[] runs = [.. Enumerable.Range(0, 3).Select(_ => Run(pool, action))];
        await Eventually.True(() => init.Waiting == 1, "one /init");
        init.Release();
        ActivationRun[] results = await Task.WhenAll(runs);

        Assert.All(results, r =>
        {
            Assert.Equal(ActivationStatus.DeveloperError, r.Response.Status);
            Assert.Equal("""{"error":"Initialization has failed due to: SyntaxError"}""", r.Response.Result.ToString());
        });
        Assert.Equal(0, _factory.Created[0].RunCount);
        await Eventually.True(() => _factory.Created[0].IsDestroyed, "the container is removed");
    }

    [Fact]
    public async Task RunFailure_StopsNewWork_LetsTheOthersFinish_ThenRemovesTheContainer()
    {
        var gate = new Gate();
        _factory.Run = (_, body) => body.GetProperty("value").TryGetProperty("fail", out JsonElement _)
            ? Task.FromResult(new RuntimeAnswer(502, """{"error":"An error has occurred: boom"}"""))
            : gate.PassAsync(RuntimeAnswer.Ok());
        ContainerPool pool = Pool();
        ExecutableAction action = Action(concurrency: 3);

        Task<ActivationRun>[] others = [Run(pool, action), Run(pool, action)];
        await Eventually.True(() => gate.Waiting == 2, "two activations in flight");
        ActivationRun failed = await Run(pool, action, """{"fail":true}""");
        ScriptedContainer first = _factory.Created[0];

        Assert.Equal(ActivationStatus.DeveloperError, failed.Response.Status);
        Assert.Equal(ProxyState.Draining, failed.Container!.State);
        Task<ActivationRun> next = Run(pool, action);
        await Eventually.True(() => gate.Waiting == 3, "new work goes to a new container");
        Assert.Equal(2, _factory.Created.Count);
        Assert.False(first.IsDestroyed);

        gate.Release(3);
        Assert.All(await Task.WhenAll([.. others, next]), r => Assert.True(r.Response.IsSuccess));
        await Eventually.True(() => first.IsDestroyed, "the failed container is removed once drained");
        Assert.False(_factory.Created[1].IsDestroyed);
    }

    [Fact]
    public async Task RunTimeout_FailsOnlyThatActivation_TheOthersInItsContainerComplete_ThenItIsRemoved()
    {
        var gate = new Gate();
        var hung = new TaskCompletionSource<RuntimeAnswer>(TaskCreationOptions.RunContinuationsAsynchronously);
        _factory.Run = (_, body) => body.GetProperty("value").TryGetProperty("hang", out JsonElement _) ? hung.Task : gate.PassAsync(RuntimeAnswer.Ok("""{"done":true}"""));
        ContainerPool pool = Pool();
        ExecutableAction action = Action(concurrency: 4);

        // The time limit is not part of a container's key (an update that changes only it keeps the containers), so
        // one activation can have a short limit while its neighbours, held at the gate, keep the default one.
        ExecutableAction shortLimit = Action(concurrency: 4, timeoutMillis: 300);
        try
        {
            Task<ActivationRun>[] neighbours = [.. Enumerable.Range(0, 3).Select(_ => Run(pool, action))];
            await Eventually.True(() => gate.Waiting == 3, "three activations in flight");
            ActivationRun timedOut = await Run(pool, shortLimit, """{"hang":true}""");
            ScriptedContainer first = Assert.Single(_factory.Created);

            Assert.True(timedOut.TimedOut);
            Assert.Equal(ActivationStatus.DeveloperError, timedOut.Response.Status);
            Assert.Equal("""{"error":"The action exceeded its time limits of 300 milliseconds."}""", timedOut.Response.Result.ToString());
            Assert.Equal(ProxyState.Draining, timedOut.Container!.State);
            Assert.False(first.IsDestroyed);

            // docs/openwhisk.md §4/§6: the container takes no new work, the others in it finish with their own results.
            Task<ActivationRun> next = Run(pool, action);
            await Eventually.True(() => gate.Waiting == 4, "new work goes to a new container");
            Assert.Equal(2, _factory.Created.Count);
            gate.Release(4);
            ActivationRun[] finished = await Task.WhenAll(neighbours);
            Assert.All(finished, r =>
            {
                Assert.True(r.Response.IsSuccess);
                Assert.False(r.TimedOut);
                Assert.Equal("""{"done":true}""", r.Response.Result.ToString());
                Assert.Same(timedOut.Container, r.Container);
            });
            Assert.True((await next).Response.IsSuccess);
            await Eventually.True(() => first.IsDestroyed, "the timed-out container is removed once its others are done");
            Assert.False(_factory.Created[1].IsDestroyed);
        }
        finally
        {
            hung.TrySetResult(RuntimeAnswer.Ok());
        }
    }

    [Fact]
    public async Task ProcessCrash_FailsEveryActivationInFlight_WithStatusTwo_AndTheContainerIsReplaced()
    {
        var gate = new Gate();
        _factory.Run = (_, _) => gate.PassAsync(RuntimeAnswer.Drop);
        ContainerPool pool = Pool();
        ExecutableAction action = Action(concurrency: 3);

        Task<ActivationRun>[] runs = [.. Enumerable.Range(0, 3).Select(_ => Run(pool, action))];
        await Eventually.True(() => gate.Waiting == 3, "three in flight");
        await _factory.Created[0].CrashAsync();
        gate.Release(3);
        ActivationRun[] results = await Task.WhenAll(runs);

        Assert.All(results, r =>
        {
            Assert.Equal(ActivationStatus.DeveloperError, r.Response.Status);
            Assert.Equal("""{"error":"The action did not produce a valid response and exited unexpectedly."}""", r.Response.Result.ToString());
        });
        _factory.Run = (_, _) => Task.FromResult(RuntimeAnswer.Ok());
        Assert.True((await Run(pool, action)).Response.IsSuccess);
        Assert.Equal(2, _factory.Created.Count);
    }

    [Fact]
    public async Task Runtime503_ReschedulesTheActivationElsewhere()
    {
        _factory.Run = (container, _) => Task.FromResult(container == _factory.Created[0] ? new RuntimeAnswer(503, "{}") : RuntimeAnswer.Ok("""{"ran":"elsewhere"}"""));
        ContainerPool pool = Pool();

        ActivationRun run = await Run(pool, Action());

        Assert.True(run.Response.IsSuccess);
        Assert.Equal("""{"ran":"elsewhere"}""", run.Response.Result.ToString());
        await Eventually.True(() => _factory.Created[0].IsDestroyed, "the refusing container is removed");
    }

    [Fact]
    public async Task ContainerThatFailsToStart_GivesAResourceError_AndFreesItsMemory()
    {
        _factory.BeforeStart = _ => throw new Perf.Invoker.Containers.ContainerStartException("no node here");
        ContainerPool pool = Pool();

        ActivationRun run = await Run(pool, Action());

        Assert.Equal(ActivationStatus.WhiskError, run.Response.Status);
        Assert.Equal("""{"error":"Failed to provision resources to run the action."}""", run.Response.Result.ToString());
        await Eventually.True(() => pool.MemoryInUseMegabytes == 0, "memory is freed");
    }

    [Fact]
    public async Task ActionLargerThanUserMemory_IsAResourceError_NotAStuckBuffer()
    {
        ContainerPool pool = Pool(userMemory: 256);

        ActivationRun run = await Run(pool, Action(memory: 512));

        Assert.Equal(ActivationStatus.WhiskError, run.Response.Status);
        Assert.Empty(_factory.Created);
    }

    [Theory]
    [InlineData(501, "concurrency 501 exceeds allowed threshold of 500")]
    [InlineData(0, "concurrency 0 below allowed threshold of 1")]
    public async Task ConcurrencyOutsideTheSystemRange_IsRefusedWithOpenWhisksMessage(int concurrency, string message)
    {
        ContainerPool pool = Pool();

        ActivationRun run = await Run(pool, Action(concurrency: concurrency));

        Assert.Equal(ActivationStatus.DeveloperError, run.Response.Status);
        Assert.Equal($$"""{"error":"{{message}}"}""", run.Response.Result.ToString());
        Assert.Empty(_factory.Created);
    }

    [Fact]
    public void MaxConcurrentAnnotation_SetsTheConcurrency_WhenTheLimitIsAbsent()
    {
        var action = new ExecutableAction("guest", "a", new ActionSpec
        {
            Exec = new ActionExec { Kind = "nodejs:20", Code = Code },
            Annotations = [new Parameter { Key = "max-concurrent", Value = Perf.Invoker.Json.RawJson.Parse("200") }],
        });

        Assert.Equal(200, action.Concurrency);
        Assert.Null(new ConcurrencyRange(Max: 200).Check(action.Concurrency));
        Assert.Equal("concurrency 200 exceeds allowed threshold of 1", new ConcurrencyRange(Max: 1).Check(action.Concurrency));
    }

    [Fact]
    public async Task IdleContainer_IsPausedAfterTheGrace_AndResumedForTheNextActivation()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        ContainerPool pool = Pool(time: time);
        ExecutableAction action = Action();
        await Run(pool, action);
        ScriptedContainer container = Assert.Single(_factory.Created);

        time.Advance(TimeSpan.FromSeconds(9));
        Assert.False(container.IsPaused);
        time.Advance(TimeSpan.FromSeconds(1));
        await Eventually.True(() => container.IsPaused, "paused after the grace");
        Assert.Equal(ProxyState.Paused, pool.Containers.Single().State);

        ActivationRun run = await Run(pool, action);

        Assert.True(run.Response.IsSuccess);
        Assert.False(container.IsPaused);
        Assert.Single(_factory.Created);
    }

    [Fact]
    public async Task ResumedContainerThatRefusesTheConnection_ReschedulesTheActivationElsewhere()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        ContainerPool pool = Pool(time: time);
        ExecutableAction action = Action();
        await Run(pool, action);
        ScriptedContainer first = Assert.Single(_factory.Created);
        time.Advance(TimeSpan.FromSeconds(10));
        await Eventually.True(() => first.IsPaused, "paused");
        await first.RefuseConnectionsAsync();

        ActivationRun run = await Run(pool, action);

        Assert.True(run.Response.IsSuccess);
        Assert.Equal(2, _factory.Created.Count);
        Assert.Equal(1, _factory.Created[1].RunCount);
        await Eventually.True(() => first.IsDestroyed, "the refusing container is removed");
    }

    [Fact]
    public async Task PausedContainer_IsRemovedAfterTheIdleTimeout_AndConcurrentOnesAfterTheirOwn()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        ContainerPool pool = Pool(time: time);
        await Run(pool, Action(name: "single"));
        await Run(pool, Action(name: "concurrent", concurrency: 4));
        ScriptedContainer single = _factory.Created[0], concurrent = _factory.Created[1];

        time.Advance(TimeSpan.FromSeconds(10));
        await Eventually.True(() => single.IsPaused && concurrent.IsPaused, "both paused");
        time.Advance(TimeSpan.FromMinutes(10));
        await Eventually.True(() => single.IsDestroyed, "the single-activation container goes after idle-container");
        Assert.False(concurrent.IsDestroyed);

        time.Advance(TimeSpan.FromMinutes(20));
        await Eventually.True(() => concurrent.IsDestroyed, "the concurrent one after its own idle timeout");
    }

    [Fact]
    public async Task ManyActivations_OnAFewContainers_NeverExceedConcurrency_AndSettle()
    {
        _factory.Run = async (_, _) =>
        {
            await Task.Yield();
            return RuntimeAnswer.Ok();
        };
        ContainerPool pool = Pool(userMemory: 512);
        ExecutableAction action = Action(concurrency: 8);

        ActivationRun[] results = await Task.WhenAll(Enumerable.Range(0, 500).Select(_ => Run(pool, action)));

        Assert.All(results, r => Assert.True(r.Response.IsSuccess));
        Assert.All(_factory.Created, c => Assert.InRange(c.MaxInFlight, 1, 8));
        Assert.InRange(_factory.Created.Count, 1, 2);
    }
}
