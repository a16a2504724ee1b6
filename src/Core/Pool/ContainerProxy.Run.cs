using System.Runtime.CompilerServices;
using Perf.Invoker.Containers;
using Perf.Invoker.ActionProtocol;
using Perf.Invoker.Logs;
using Perf.Invoker.Model;

namespace Perf.Invoker.Pool;

public sealed partial class ContainerProxy
{
    /// <summary>
    /// Runs one activation in this container. The caller holds one of its slots and releases it
    /// through the pool afterwards, whatever happens here.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal async ValueTask<ProxyRun> RunAsync(ActivationMessage message, ExecutableAction action, CancellationToken cancellationToken)
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
        TimeProvider time = _owner.Time;
        long initStart = time.GetTimestamp();
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
        long? initMillis = initiated ? (long)time.GetElapsedTime(initStart, time.GetTimestamp()).TotalMilliseconds : null;
        if (!initResponse.IsSuccess)
        {
            // docs/openwhisk.md §6: every activation waiting for this init gets the same response; the container goes.
            return ProxyRun.Failed(initResponse, destroy: true, initMillis, initResponse.Kind == ActionResponseKind.TimedOut);
        }

        ActivationLogs logs = _logs.Begin(message.ActivationId, (long)action.LogsMegabytes << 20);
        DateTimeOffset start = time.GetUtcNow();
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
        DateTimeOffset end = time.GetUtcNow();

        if (response.Kind == ActionResponseKind.NoResponse)
        {
            // The runtime died: wait for it to be gone, so that an out-of-memory kill can be told apart.
            await Task.WhenAny(container.Exited, Task.Delay(_owner.LogSentinelWait, time, CancellationToken.None)).ConfigureAwait(false);
            if (container.WasOutOfMemory)
            {
                response = ActionResponse.DeveloperError(ActionResponseKind.NoResponse, ActionMessages.MemoryExhausted);
            }
        }

        // The runtime writes an activation's sentinels before its answer (runtimes/nodejs/README.md), so
        // this wait is short; it is bounded for runtimes that crashed or do not write sentinels. The bound's timer is
        // removed as soon as the sentinels arrive: a Task.Delay per activation stayed queued for the whole bound and
        // fired every time, a timer-queue cost per activation (docs/performance.md §3).
        if (response.Kind != ActionResponseKind.Reschedule && !logs.Completion.IsCompleted)
        {
            await logs.Completion.WaitAsync(_owner.LogSentinelWait, time, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _logs.End(message.ActivationId, logs);
        string[] lines = logs.ToArray();
        if (container.MemoryLimitNote is { } note && initiated)
        {
            lines = [.. lines, note];
        }

        // A timeout retires the container like any status 2 (docs/pool.md): the pool stops giving it work and removes
        // it once the others in flight finish; their results stay their own.
        return new ProxyRun(response, start, end, initMillis, lines, Destroy: !response.KeepsContainer && response.Kind != ActionResponseKind.Reschedule, TimedOut: response.Kind == ActionResponseKind.TimedOut);
    }

    private async Task<ActionResponse> InitAsync(ActivationMessage message, ExecutableAction action, IContainer container)
    {
        long deadline = _owner.Time.GetUtcNow().ToUnixTimeMilliseconds() + action.TimeoutMillis;
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
}
