using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Perf.Invoker.Containers;
using Perf.Invoker.Logs;

namespace Perf.Invoker.Tests.Pool;

/// <summary>What a scripted runtime answers: an HTTP status and a JSON body, or a dropped connection (status 0).</summary>
internal readonly record struct RuntimeAnswer(int Status, string Body)
{
    public static RuntimeAnswer Ok(string body = "{}") => new(200, body);

    public static RuntimeAnswer Drop => new(0, "");
}

/// <summary>
/// Containers for the pool tests: each is a real HTTP/1.1 server (Kestrel on 127.0.0.1) whose /init
/// and /run answers the test scripts, so the pool, proxy and client run for real while the runtime's
/// behaviour is exactly what a test needs (block, fail, 503, crash). Each /run ends with its log sentinels.
/// </summary>
internal sealed class ScriptedContainerFactory : IContainerFactory
{
    private readonly List<ScriptedContainer> _created = [];

    /// <summary>Answers /init; default 200.</summary>
    public Func<ScriptedContainer, Task<RuntimeAnswer>> Init { get; set; } = _ => Task.FromResult(RuntimeAnswer.Ok("{\"OK\":true}"));

    /// <summary>Answers /run; default 200 {}.</summary>
    public Func<ScriptedContainer, JsonElement, Task<RuntimeAnswer>> Run { get; set; } = (_, _) => Task.FromResult(RuntimeAnswer.Ok());

    /// <summary>Runs before a container starts; throw to make the start fail, or await to hold it.</summary>
    public Func<ContainerSpec, Task> BeforeStart { get; set; } = _ => Task.CompletedTask;

    public IReadOnlyList<ScriptedContainer> Created
    {
        get
        {
            lock (_created)
            {
                return [.. _created];
            }
        }
    }

    public int Live => Created.Count(c => !c.IsDestroyed);

    public async ValueTask<IContainer> CreateAsync(ContainerSpec spec, CancellationToken cancellationToken)
    {
        await BeforeStart(spec);
        var container = await ScriptedContainer.StartAsync(this, spec);
        lock (_created)
        {
            _created.Add(container);
        }

        return container;
    }

    public ValueTask RemoveLeftoversAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (ScriptedContainer container in Created)
        {
            await container.DestroyAsync();
        }
    }
}

internal sealed class ScriptedContainer : IContainer
{
    private readonly WebApplication _app;
    private readonly Channel<OutputLine> _output = Channel.CreateUnbounded<OutputLine>();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inFlight;
    private int _maxInFlight;

    private ScriptedContainer(ContainerSpec spec, WebApplication app, EndPoint endPoint)
    {
        Spec = spec;
        _app = app;
        EndPoint = endPoint;
    }

    public ContainerSpec Spec { get; }

    public string Id => Spec.Name;

    public EndPoint EndPoint { get; }

    public string? MemoryLimitNote => null;

    public ChannelReader<OutputLine> Output => _output.Reader;

    public Task Exited => _exited.Task;

    public bool WasOutOfMemory { get; set; }

    public bool IsPaused { get; private set; }

    public bool IsDestroyed => _exited.Task.IsCompleted;

    public int InitCount { get; private set; }

    public int RunCount { get; private set; }

    /// <summary>The most /run requests this container served at once.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public static async Task<ScriptedContainer> StartAsync(ScriptedContainerFactory factory, ContainerSpec spec)
    {
        WebApplication app = LoopbackServer.Build();
        ScriptedContainer? self = null;
        app.MapPost("/init", async (HttpContext context) =>
        {
            self!.InitCount++;
            await AnswerAsync(context, await factory.Init(self));
        });
        app.MapPost("/run", async (HttpContext context) =>
        {
            using JsonDocument body = await JsonDocument.ParseAsync(context.Request.Body);
            self!.RunCount++;
            int now = Interlocked.Increment(ref self._inFlight);
            InterlockedMax(ref self._maxInFlight, now);
            try
            {
                RuntimeAnswer answer = await factory.Run(self, body.RootElement.Clone());
                self.WriteSentinels(body.RootElement.GetProperty("activation_id").GetString()!);
                await AnswerAsync(context, answer);
            }
            finally
            {
                Interlocked.Decrement(ref self._inFlight);
            }
        });
        await app.StartAsync();
        self = new ScriptedContainer(spec, app, new IPEndPoint(IPAddress.Loopback, LoopbackServer.AddressOf(app).Port));
        return self;
    }

    private static async Task AnswerAsync(HttpContext context, RuntimeAnswer answer)
    {
        if (answer.Status == 0)
        {
            context.Abort();
            return;
        }

        context.Response.StatusCode = answer.Status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer.Body);
    }

    // Concurrent runtimes name the activation in their sentinels (runtimes/nodejs/README.md), like ours.
    private void WriteSentinels(string activationId)
    {
        string sentinel = Spec.Concurrency > 1 ? $"{ActivationLogCollector.Sentinel} {activationId}" : ActivationLogCollector.Sentinel;
        _output.Writer.TryWrite(new OutputLine(OutputStream.Stdout, sentinel, DateTimeOffset.UtcNow));
        _output.Writer.TryWrite(new OutputLine(OutputStream.Stderr, sentinel, DateTimeOffset.UtcNow));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    public ValueTask PauseAsync(CancellationToken cancellationToken = default)
    {
        IsPaused = true;
        return ValueTask.CompletedTask;
    }

    public ValueTask ResumeAsync(CancellationToken cancellationToken = default)
    {
        IsPaused = false;
        return ValueTask.CompletedTask;
    }

    /// <summary>Stops accepting connections while the container stays up (a resumed container that refuses).</summary>
    public Task RefuseConnectionsAsync() => _app.StopAsync(new CancellationToken(canceled: true));

    /// <summary>Makes the runtime vanish as a crash would: its server stops and its output ends.</summary>
    public async Task CrashAsync()
    {
        await _app.StopAsync(new CancellationToken(canceled: true));
        _output.Writer.TryComplete();
        _exited.TrySetResult();
    }

    public async ValueTask DestroyAsync()
    {
        if (_exited.Task.IsCompleted)
        {
            return;
        }

        // Kestrel's Dispose stops the server synchronously: it blocks its thread until every handler returns, a hung
        // /run's whole delay. The pool destroys containers on the shared thread pool, where a few such threads stall
        // every timer and reply in the process, and an /init elsewhere misses its time limit. Stopped first, and
        // asynchronously, the server leaves Dispose nothing to wait for.
        await _app.StopAsync(new CancellationToken(canceled: true));
        await _app.DisposeAsync();
        _output.Writer.TryComplete();
        _exited.TrySetResult();
    }

    public ValueTask DisposeAsync() => DestroyAsync();
}
