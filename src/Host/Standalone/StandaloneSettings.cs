using Perf.Invoker.Host.Engine;

namespace Perf.Invoker.Host.Standalone;

/// <summary>The settings of <c>invoker standalone</c>: the shared ones (<see cref="InvokerSettings"/>); it has none of its own.</summary>
internal sealed class StandaloneSettings
{
    public required InvokerSettings Shared { get; init; }

    public static string Help => $"""
        usage: invoker [standalone] [settings]

        A complete mini OpenWhisk on one machine: the REST API (actions, invoke, activations, triggers, rules,
        the built-in /whisk.system/alarms feeds) with basic auth,
        actions run as runtimes/nodejs processes (or Docker containers), the SQLite store and the durable
        embedded feed in --data.
        The first start creates a key for namespace 'guest' in DATA/namespaces and prints it.
        A setting unknown or out of its range, a data directory or store that cannot be used, or an address
        that cannot be listened on stops the start with one line and exit code 2.

        {InvokerSettings.Help("store, queue, keys")}
        """;

    /// <summary>Reads the settings; a <see cref="StartupException"/> names the first one unknown or malformed.</summary>
    public static StandaloneSettings Parse(IReadOnlyList<string> args) =>
        new() { Shared = InvokerSettings.Read(SettingsReader.Parse(args, InvokerSettings.Table)) };
}
