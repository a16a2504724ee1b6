using Perf.Invoker.Host.Engine;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// The settings of <c>invoker standalone</c>: the shared ones (<see cref="InvokerSettings"/>) and what the REST API
/// enforces, which only this mode has (in a cluster OpenWhisk's controller does): the namespaces' default limits and the
/// queue's capacity.
/// </summary>
internal sealed class StandaloneSettings
{
    /// <summary>The durable queue's default capacity: far above what the default limits let in, a bound on the disk a flood may take.</summary>
    public const long DefaultQueueMax = 100_000;

    public static readonly Setting ConcurrentInvocationsSetting = new("concurrent-invocations", "INVOKER_CONCURRENT_INVOCATIONS");
    public static readonly Setting InvocationsPerMinuteSetting = new("invocations-per-minute", "INVOKER_INVOCATIONS_PER_MINUTE");
    public static readonly Setting FiresPerMinuteSetting = new("fires-per-minute", "INVOKER_FIRES_PER_MINUTE");
    public static readonly Setting QueueMaxSetting = new("queue-max", "INVOKER_QUEUE_MAX");

    public static readonly Setting[] Table =
        [ConcurrentInvocationsSetting, InvocationsPerMinuteSetting, FiresPerMinuteSetting, QueueMaxSetting, .. InvokerSettings.Table];

    public required InvokerSettings Shared { get; init; }

    /// <summary>Every namespace's limits unless DATA/limits names it.</summary>
    public NamespaceLimits Limits { get; init; } = NamespaceLimits.OpenWhisk;

    public long QueueMax { get; init; } = DefaultQueueMax;

    public static string Help => $"""
        usage: invoker [standalone] [settings]

        A complete mini OpenWhisk on one machine: the REST API (actions, invoke, activations, triggers, rules,
        the built-in /whisk.system/alarms feeds) with basic auth,
        actions run as runtimes/nodejs processes (or Docker containers), the SQLite store and the durable
        embedded feed in --data.
        The first start creates a key for namespace 'guest' in DATA/namespaces and prints it.
        A setting unknown or out of its range, a data directory or store that cannot be used, or an address
        that cannot be listened on stops the start with one line and exit code 2.

          --concurrent-invocations N  activations a namespace may have in flight, queued or running; more get 429
                                   (INVOKER_CONCURRENT_INVOCATIONS; default {NamespaceLimits.OpenWhisk.ConcurrentInvocations}, OpenWhisk's)
          --invocations-per-minute N  invocations a namespace may make in a clock minute; more get 429
                                   (INVOKER_INVOCATIONS_PER_MINUTE; default {NamespaceLimits.OpenWhisk.InvocationsPerMinute}, OpenWhisk's)
          --fires-per-minute N     trigger fires a namespace may make in a clock minute (INVOKER_FIRES_PER_MINUTE;
                                   default {NamespaceLimits.OpenWhisk.FiresPerMinute}, OpenWhisk's)
                                   A namespace's own: a line 'NAMESPACE concurrentInvocations=N invocationsPerMinute=N
                                   firesPerMinute=N' (any of them) in DATA/limits, read at start.
          --queue-max N            activations the durable queue holds at most; more get 503 (INVOKER_QUEUE_MAX;
                                   default {DefaultQueueMax})
        {InvokerSettings.Help("store, queue, keys, limits")}
        """;

    /// <summary>Reads the settings; a <see cref="StartupException"/> names the first one unknown or malformed.</summary>
    public static StandaloneSettings Parse(IReadOnlyList<string> args)
    {
        SettingsReader reader = SettingsReader.Parse(args, Table);
        NamespaceLimits defaults = NamespaceLimits.OpenWhisk;
        return new StandaloneSettings
        {
            Shared = InvokerSettings.Read(reader),
            Limits = new NamespaceLimits(
                reader.Number(ConcurrentInvocationsSetting, defaults.ConcurrentInvocations, min: 0),
                reader.Number(InvocationsPerMinuteSetting, defaults.InvocationsPerMinute, min: 0),
                reader.Number(FiresPerMinuteSetting, defaults.FiresPerMinute, min: 0)),
            QueueMax = reader.Number(QueueMaxSetting, DefaultQueueMax, min: 1, max: long.MaxValue),
        };
    }
}
