using System.Globalization;
using Perf.Invoker.Feed;

namespace Perf.Invoker.Host.Standalone;

/// <summary>The settings of <c>invoker standalone</c>: flags first, then INVOKER_* environment variables, then defaults.</summary>
internal sealed class StandaloneSettings
{
    public const string DefaultUrl = "http://127.0.0.1:3233";

    /// <summary>The smallest action memory (ActionValidation.MinMemoryMegabytes): less could never run a container.</summary>
    public const long MinUserMemoryMegabytes = ActionValidation.MinMemoryMegabytes;

    public required string Url { get; init; }

    public required string DataDirectory { get; init; }

    public required string RuntimeDirectory { get; init; }

    public long UserMemoryMegabytes { get; init; } = 2048;

    public int ConcurrencyMax { get; init; } = 500;

    public double PeekFactor { get; init; } = PeekWindow.DefaultPeekFactor;

    public required ContainerBackend Backend { get; init; }

    public static string Help => $"""
        usage: invoker [standalone] [settings]

        A complete mini OpenWhisk on one machine: the REST API (actions, invoke, activations) with basic auth,
        actions run as runtimes/nodejs processes (or Docker containers), the SQLite store and the durable
        embedded feed in --data.
        The first start creates a key for namespace 'guest' in DATA/namespaces and prints it.

          --url URL                where to listen (INVOKER_URL; default http://127.0.0.1:3233)
          --data DIR               data directory: store, queue, keys (INVOKER_DATA; default .data)
          --runtime DIR            the Node.js runtime folder (INVOKER_RUNTIME; default runtimes/nodejs)
          --user-memory MB         memory for all containers (INVOKER_USER_MEMORY_MB; default 2048)
          --concurrency-max N      largest allowed action concurrency (INVOKER_CONCURRENCY_MAX; default 500)
          --peek-factor F          concurrentPeekFactor of the feed's window (INVOKER_PEEK_FACTOR; default 0.5)
        {ContainerBackend.Help}
        """;

    /// <summary>Reads the settings; null with <paramref name="error"/> set when one is malformed.</summary>
    public static StandaloneSettings? Parse(IReadOnlyList<string> args, out string? error)
    {
        var values = new Dictionary<string, string>();
        for (int i = 0; i < args.Count; i++)
        {
            string flag = args[i];
            if (!flag.StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                error = $"unexpected argument '{flag}'";
                return null;
            }

            values[flag[2..]] = args[++i];
        }

        string[] known = ["url", "data", "runtime", "user-memory", "concurrency-max", "peek-factor", .. ContainerBackend.Settings];
        if (values.Keys.FirstOrDefault(k => !known.Contains(k)) is { } unknown)
        {
            error = $"unknown setting '--{unknown}'";
            return null;
        }

        string? Get(string name, string variable) => values.TryGetValue(name, out string? v) ? v : Environment.GetEnvironmentVariable(variable);

        if (ContainerBackend.Parse(Get, out error) is not { } backend)
        {
            return null;
        }

        StandaloneSettings settings;
        try
        {
            settings = new StandaloneSettings
            {
                Backend = backend,
                Url = Get("url", "INVOKER_URL") ?? DefaultUrl,
                DataDirectory = Path.GetFullPath(Get("data", "INVOKER_DATA") ?? ".data"),
                RuntimeDirectory = Path.GetFullPath(Get("runtime", "INVOKER_RUNTIME") ?? Path.Combine("runtimes", "nodejs")),
                UserMemoryMegabytes = long.Parse(Get("user-memory", "INVOKER_USER_MEMORY_MB") ?? "2048", CultureInfo.InvariantCulture),
                ConcurrencyMax = int.Parse(Get("concurrency-max", "INVOKER_CONCURRENCY_MAX") ?? "500", CultureInfo.InvariantCulture),
                PeekFactor = double.Parse(Get("peek-factor", "INVOKER_PEEK_FACTOR") ?? "0.5", CultureInfo.InvariantCulture),
            };
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            error = $"a setting is not a number: {e.Message}";
            return null;
        }

        // Checked here, where the operator gets one line, rather than deep in the start as an unhandled exception.
        error = settings switch
        {
            { UserMemoryMegabytes: < MinUserMemoryMegabytes } => $"--user-memory must be at least {MinUserMemoryMegabytes} (MB, one container of the smallest action), got {settings.UserMemoryMegabytes}",
            { ConcurrencyMax: < 1 } => $"--concurrency-max must be at least 1, got {settings.ConcurrencyMax}",
            { PeekFactor: var f } when !double.IsFinite(f) || f < 0 => $"--peek-factor must be a finite number of at least 0, got {settings.PeekFactor}",
            // A malformed address is not always refused by Kestrel: 'http://[::1' would listen on every interface.
            _ when !Uri.TryCreate(settings.Url, UriKind.Absolute, out Uri? url) || url.Scheme != Uri.UriSchemeHttp || url.PathAndQuery != "/" =>
                $"--url must be an http:// address without a path, got '{settings.Url}'",
            _ => null,
        };
        return error is null ? settings : null;
    }
}
