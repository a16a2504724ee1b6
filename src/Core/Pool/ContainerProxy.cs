using System.Diagnostics;
using Perf.Invoker.ActionProtocol;
using Perf.Invoker.Concurrency;
using Perf.Invoker.Containers;
using Perf.Invoker.Logs;
using Perf.Invoker.Model;

namespace Perf.Invoker.Pool;

/// <summary>Where a container is in its life (docs/openwhisk.md §6).</summary>
public enum ProxyState
{
    /// <summary>A stem cell: started, serving no action yet.</summary>
    Prewarmed,

    /// <summary>Serving its action: starting, initializing or warm.</summary>
    Ready,

    /// <summary>Idle past the pause grace; resumed by the pool before it takes work again.</summary>
    Paused,

    /// <summary>Failed: takes no new work, lets what runs finish, then is removed.</summary>
    Draining,

    /// <summary>Destroyed or being destroyed; its memory is free.</summary>
    Removed,
}

/// <summary>
/// One container and what the pool needs to run activations in it: its slots (the action's
/// concurrency), its one-time /init, its client and its log collector. An activation holds one slot
/// from the pool's choice to its completion and gives it back exactly once.
/// </summary>
public sealed class ContainerProxy
{
    private readonly ContainerPool _pool;
    private readonly object _gate = new();

    /// <summary>The container; faults with <see cref="ContainerStartException"/> when it could not be started.</summary>
    private readonly Task<IContainer> _started;

    /// <summary>The one /init, started by the first activation (docs/openwhisk.md §5); null until then.</summary>
    private Task<ActionResponse>? _init;

    private ActionClient? _client;
    private ActivationLogCollector? _logs;

    /// <summary>Pause and idle-removal timer, armed while nothing is in flight.</summary>
    private ITimer? _idleTimer;

    private int _state;

    /// <summary>The last pause or resume; the next transition and every /run wait for it.</summary>
    private Task _transition = Task.CompletedTask;

    internal ContainerProxy(ContainerPool pool, long id, PoolKey? key, string kind, int memoryMegabytes, bool concurrent, Task<IContainer> started)
    {
        _pool = pool;
        Id = id;
        Key = key;
        Kind = kind;
        MemoryMegabytes = memoryMegabytes;
        Concurrent = concurrent;
        _started = started;
        _state = (int)(key is null ? ProxyState.Prewarmed : ProxyState.Ready);
        Slots = new SlotAllocator(key?.Concurrency ?? 1);
        if (key is null)
        {
            // A stem cell takes no activation until it is given an action.
            Slots.Resize(0);
        }
    }

    public long Id { get; }

    /// <summary>The action and namespace this container serves; null for a stem cell.</summary>
    public PoolKey? Key { get; private set; }

    public string Kind { get; }

    public int MemoryMegabytes { get; }

    /// <summary>The runtime was started to accept overlapping /run requests.</summary>
    public bool Concurrent { get; }

    public SlotAllocator Slots { get; }

    public ProxyState State => (ProxyState)Volatile.Read(ref _state);

    /// <summary>Pool clock ticks of the last activation's start, for least-recently-used eviction.</summary>
    public long LastUsed { get; private set; }

    internal bool IsStarted => _started.IsCompletedSuccessfully;

    internal bool IsInitialized => _init is { IsCompletedSuccessfully: true } init && init.Result.IsSuccess;

    /// <summary>The container, once started (for tests and diagnostics).</summary>
    public IContainer? Container => _started.IsCompletedSuccessfully ? _started.Result : null;

    internal bool TrySetState(ProxyState from, ProxyState to) => Interlocked.CompareExchange(ref _state, (int)to, (int)from) == (int)from;

    internal void SetState(ProxyState to) => Volatile.Write(ref _state, (int)to);

    /// <summary>Turns a stem cell into a container of <paramref name="key"/> (pool lock held).</summary>
    internal void Specialize(PoolKey key)
    {
        Debug.Assert(Key is null && State == ProxyState.Prewarmed, "only stem cells are specialized");
        Key = key;
        SetState(ProxyState.Ready);
        Slots.Resize(key.Concurrency);
    }

    /// <summary>Records a new activation (slot already taken) and disarms the idle timer.</summary>
    internal void OnAcquired(long now)
    {
        LastUsed = now;
        _idleTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Arms the pause timer once nothing is in flight.</summary>
    internal void OnIdle(TimeProvider time, TimeSpan pauseGrace)
    {
        lock (_gate)
        {
            if (State != ProxyState.Ready)
            {
                return;
            }

            _idleTimer ??= time.CreateTimer(static s => ((ContainerProxy)s!)._pool.OnIdleTimer((ContainerProxy)s!), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _idleTimer.Change(pauseGrace, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Removes this container from the pool (its start failed, or it drained).</summary>
    internal void PoolRemove() => _pool.Remove(this);

    internal void ArmRemoval(TimeSpan after)
    {
        lock (_gate)
        {
            _idleTimer?.Change(after, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>
    /// Runs one activation in this container. The caller holds one of its slots and releases it
    /// through the pool afterwards, whatever happens here.
    /// </summary>
    internal async Task<ProxyRun> RunAsync(ActivationMessage message, ExecutableAction action, CancellationToken cancellationToken)
    {
        IContainer container;
        try
        {
            container = await _started.ConfigureAwait(false);
        }
        catch (Exception e) when (e is ContainerStartException or OperationCanceledException)
        {
            return ProxyRun.Failed(ActionResponse.WhiskError(ActionMessages.ResourceError), destroy: true);
        }

        Task transition;
        lock (_gate)
        {
            transition = _transition;
        }

        await transition.ConfigureAwait(false);
        long initStart = _pool.Now;
        bool initiated = false;
        Task<ActionResponse> init;
        lock (_gate)
        {
            _client ??= new ActionClient(container.EndPoint, Key!.Value.Concurrency);
            _logs ??= new ActivationLogCollector(container.Output, Concurrent ? LogFormat.Tagged : LogFormat.Sentinel);
            if (_init is null)
            {
                initiated = true;
                _init = InitAsync(message, action, container);
            }

            init = _init;
        }

        ActionResponse initResponse = await init.ConfigureAwait(false);
        long? initMillis = initiated ? (long)_pool.Time.GetElapsedTime(initStart, _pool.Now).TotalMilliseconds : null;
        if (!initResponse.IsSuccess)
        {
            // docs/openwhisk.md §6: every activation waiting for this init gets the same response; the container goes.
            return ProxyRun.Failed(initResponse, destroy: true, initMillis, initResponse.Kind == ActionResponseKind.TimedOut);
        }

        ActivationLogs logs = _logs.Begin(message.ActivationId, (long)action.LogsMegabytes << 20);
        DateTimeOffset start = _pool.Time.GetUtcNow();
        var run = new RunRequest
        {
            Value = InitArguments.Split(message.Content ?? Json.RawJson.EmptyObject, message.InitArgs, env: null),
            Namespace = message.User.Namespace.Name,
            ActionName = action.ActionName,
            ActionVersion = action.Version,
            ActivationId = message.ActivationId,
            TransactionId = message.Transid.Id,
            Deadline = new EpochMillisString(start.ToUnixTimeMilliseconds() + action.TimeoutMillis),
            ApiKey = action.ProvideApiKey ? message.User.Authkey.ApiKey : null,
        };
        ActionResponse response = await _client.RunAsync(run, action.Timeout, cancellationToken).ConfigureAwait(false);
        DateTimeOffset end = _pool.Time.GetUtcNow();

        if (response.Kind == ActionResponseKind.NoResponse)
        {
            // The runtime died: wait for it to be gone, so that an out-of-memory kill can be told apart.
            await Task.WhenAny(container.Exited, Task.Delay(_pool.Options.LogSentinelWait, _pool.Time, CancellationToken.None)).ConfigureAwait(false);
            if (container.WasOutOfMemory)
            {
                response = ActionResponse.DeveloperError(ActionResponseKind.NoResponse, ActionMessages.MemoryExhausted);
            }
        }

        // The runtime writes an activation's sentinels before its answer (runtimes/nodejs/README.md), so
        // this wait is short; it is bounded for runtimes that crashed or do not write sentinels.
        if (response.Kind != ActionResponseKind.Reschedule)
        {
            await Task.WhenAny(logs.Completion, Task.Delay(_pool.Options.LogSentinelWait, _pool.Time, CancellationToken.None)).ConfigureAwait(false);
        }

        _logs.End(message.ActivationId, logs);
        string[] lines = logs.ToArray();
        if (container.MemoryLimitNote is { } note && initiated)
        {
            lines = [.. lines, note];
        }

        return new ProxyRun(response, start, end, initMillis, lines, Destroy: !response.KeepsContainer && response.Kind != ActionResponseKind.Reschedule, TimedOut: response.Kind == ActionResponseKind.TimedOut);
    }

    private async Task<ActionResponse> InitAsync(ActivationMessage message, ExecutableAction action, IContainer container)
    {
        long deadline = _pool.Time.GetUtcNow().ToUnixTimeMilliseconds() + action.TimeoutMillis;
        var env = new List<KeyValuePair<string, string>>(8)
        {
            new("__OW_NAMESPACE", message.User.Namespace.Name),
            new("__OW_ACTION_NAME", action.ActionName),
            new("__OW_ACTION_VERSION", action.Version),
            new("__OW_ACTIVATION_ID", message.ActivationId.ToString()),
            new("__OW_TRANSACTION_ID", message.Transid.Id),
            new("__OW_DEADLINE", deadline.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        if (action.ProvideApiKey && message.User.Authkey.ApiKey is { } key)
        {
            env.Add(new("__OW_API_KEY", key));
        }

        // Parameters the controller marked as init arguments go to /init, as OpenWhisk does.
        InitArguments.Split(message.Content ?? Json.RawJson.EmptyObject, message.InitArgs, env);

        var request = new InitRequest
        {
            Value = new InitPayload
            {
                Name = action.Name,
                Main = action.Main,
                Binary = action.Binary,
                Code = action.Code,
                Env = new EnvironmentVariables([.. env]),
            },
        };
        ActionResponse response = await _client!.InitAsync(request, action.Timeout).ConfigureAwait(false);
        if (response.Kind == ActionResponseKind.NoResponse && container.WasOutOfMemory)
        {
            return ActionResponse.DeveloperError(ActionResponseKind.NoResponse, ActionMessages.MemoryExhausted);
        }

        return response;
    }

    /// <summary>Pauses the container after any earlier transition; /run requests wait for the matching resume.</summary>
    internal void BeginPause() => Chain(static c => c.PauseAsync());

    internal void BeginResume() => Chain(static c => c.ResumeAsync());

    private void Chain(Func<IContainer, ValueTask> operation)
    {
        lock (_gate)
        {
            Task previous = _transition;
            _transition = RunAfter(previous, operation);
        }
    }

    private async Task RunAfter(Task previous, Func<IContainer, ValueTask> operation)
    {
        await previous.ConfigureAwait(false);
        if (Container is { } container)
        {
            await operation(container).ConfigureAwait(false);
        }
    }

    /// <summary>Destroys the container (after its start finished, if it was starting). Idempotent.</summary>
    internal async Task DestroyAsync()
    {
        lock (_gate)
        {
            _idleTimer?.Dispose();
            _idleTimer = null;
        }

        try
        {
            IContainer container = await _started.ConfigureAwait(false);
            _client?.Dispose();
            await container.DestroyAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is ContainerStartException or OperationCanceledException)
        {
            // Never started: nothing to destroy.
        }
    }

    public override string ToString() => $"container {Id} {State} {Key?.ActionPath ?? Kind} {Slots}";
}

/// <summary>What running one activation in a container produced.</summary>
internal readonly record struct ProxyRun(
    ActionResponse Response,
    DateTimeOffset Start,
    DateTimeOffset End,
    long? InitMillis,
    string[] Logs,
    bool Destroy,
    bool TimedOut)
{
    public static ProxyRun Failed(ActionResponse response, bool destroy, long? initMillis = null, bool timedOut = false)
    {
        return new ProxyRun(response, default, default, initMillis, [], destroy, timedOut);
    }
}
