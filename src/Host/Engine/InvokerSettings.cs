using Perf.Invoker.Feed;
using Perf.Invoker.Model;

namespace Perf.Invoker.Host.Engine;

/// <summary>
/// The settings both modes share (the engine's: address, data, runtime, memory, concurrency, peek window, backend),
/// each a flag or its INVOKER_* variable. A mode's settings hold these and add their own flags to <see cref="Table"/>.
/// </summary>
internal sealed class InvokerSettings
{
    public const string DefaultUrl = "http://127.0.0.1:3233";

    /// <summary>The smallest action memory (<see cref="ExecutableAction.MinMemoryMegabytes"/>, OpenWhisk's): less could never run a container.</summary>
    public const long MinUserMemoryMegabytes = ExecutableAction.MinMemoryMegabytes;

    /// <summary>The most whose size in bytes still fits a long (ByteSize, the pool's memory budget).</summary>
    public const long MaxUserMemoryMegabytes = long.MaxValue >> 20;

    public static readonly Setting UrlSetting = new("url", "INVOKER_URL");
    public static readonly Setting DataSetting = new("data", "INVOKER_DATA");
    public static readonly Setting RuntimeSetting = new("runtime", "INVOKER_RUNTIME");
    public static readonly Setting UserMemorySetting = new("user-memory", "INVOKER_USER_MEMORY_MB");
    public static readonly Setting ConcurrencyMaxSetting = new("concurrency-max", "INVOKER_CONCURRENCY_MAX");
    public static readonly Setting PeekFactorSetting = new("peek-factor", "INVOKER_PEEK_FACTOR");
    public static readonly Setting ActionCacheSetting = new("action-cache-mb", "INVOKER_ACTION_CACHE_MB");

    /// <summary>Every shared setting, the container backend's included.</summary>
    public static readonly Setting[] Table =
        [UrlSetting, DataSetting, RuntimeSetting, UserMemorySetting, ConcurrencyMaxSetting, PeekFactorSetting, ActionCacheSetting, .. ContainerBackend.Table];

    /// <summary>The action cache's default bound: 64 MiB, room for one action of the largest size and many small ones.</summary>
    public const long DefaultActionCacheMegabytes = 64;

    public required string Url { get; init; }

    /// <summary>Absolute: the owner tag of process containers is derived from it.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Absolute; see <see cref="DefaultRuntimeDirectory"/>.</summary>
    public required string RuntimeDirectory { get; init; }

    public long UserMemoryMegabytes { get; init; } = 2048;

    public int ConcurrencyMax { get; init; } = 500;

    /// <summary>The smallest allowed action concurrency (serve: OpenWhisk's <c>whisk.concurrency-limit.min</c>); 1 otherwise.</summary>
    public int ConcurrencyMin { get; init; } = 1;

    /// <summary>OpenWhisk's <c>whisk.concurrency-limit.std</c>, the default an action gets (the controller's concern); 1 otherwise.</summary>
    public int ConcurrencyStd { get; init; } = 1;

    /// <summary>The range the pool allows an action's concurrency in.</summary>
    public ConcurrencyRange Concurrency => new(ConcurrencyMin, ConcurrencyMax, ConcurrencyStd);

    public double PeekFactor { get; init; } = PeekWindow.DefaultPeekFactor;

    /// <summary>Bytes of action documents (code) the action cache holds at most, in either mode; 0 caches none.</summary>
    public long ActionCacheBytes { get; init; } = DefaultActionCacheMegabytes << 20;

    public required ContainerBackend Backend { get; init; }

    /// <summary>The help lines of the shared settings, after a mode's own.</summary>
    public static string Help(string dataWhat) => $"""
          --url URL                where to listen (INVOKER_URL; default {DefaultUrl})
          --data DIR               data directory: {dataWhat} (INVOKER_DATA; default .data)
          --runtime DIR            the Node.js runtime folder (INVOKER_RUNTIME; default runtimes/nodejs beside
                                   the executable, else in the working directory)
          --user-memory MB         memory for all containers, at least {MinUserMemoryMegabytes} (INVOKER_USER_MEMORY_MB; default 2048)
          --concurrency-max N      largest allowed action concurrency, at least 1 (INVOKER_CONCURRENCY_MAX; default 500)
          --peek-factor F          concurrentPeekFactor of the feed's window (INVOKER_PEEK_FACTOR; default 0.5)
          --action-cache-mb MB     bound of the action cache, least recently used out first (INVOKER_ACTION_CACHE_MB;
                                   default {DefaultActionCacheMegabytes})
        {ContainerBackend.Help}
        """;

    /// <summary>Reads and checks the shared settings; a <see cref="StartupException"/> names the first one wrong.</summary>
    /// <param name="concurrencyMin">The smallest allowed concurrency, at most the max read here.</param>
    /// <param name="concurrencyStd">The default concurrency of an action.</param>
    public static InvokerSettings Read(SettingsReader reader, int concurrencyMin = 1, int concurrencyStd = 1)
    {
        var settings = new InvokerSettings
        {
            Backend = ContainerBackend.Read(reader),
            Url = reader.Text(UrlSetting, DefaultUrl),
            DataDirectory = reader.FullPath(DataSetting, ".data"),
            RuntimeDirectory = reader.Text(RuntimeSetting) is { } runtime ? Path.GetFullPath(runtime) : DefaultRuntimeDirectory(),
            UserMemoryMegabytes = reader.Number(UserMemorySetting, 2048L, MinUserMemoryMegabytes, MaxUserMemoryMegabytes, why: "MB, one container of the smallest action"),
            ConcurrencyMax = reader.Number(ConcurrencyMaxSetting, 500, min: 1),
            PeekFactor = reader.Fraction(PeekFactorSetting, PeekWindow.DefaultPeekFactor, min: 0),
            ActionCacheBytes = reader.Number(ActionCacheSetting, DefaultActionCacheMegabytes, min: 0, max: MaxUserMemoryMegabytes) << 20,
            ConcurrencyMin = concurrencyMin,
            ConcurrencyStd = concurrencyStd,
        };
        if (concurrencyMin > settings.ConcurrencyMax)
        {
            throw new StartupException($"the smallest allowed concurrency ({concurrencyMin}) is above {reader.Source(ConcurrencyMaxSetting)} ({settings.ConcurrencyMax})");
        }

        // A malformed address is not always refused by Kestrel: 'http://[::1' would listen on every interface. Kestrel's
        // 'http://*:PORT' (every interface, PORT's fallback) is checked as the address it stands for.
        string checkedUrl = settings.Url.StartsWith("http://*:", StringComparison.Ordinal) ? "http://0.0.0.0:" + settings.Url["http://*:".Length..] : settings.Url;
        if (!Uri.TryCreate(checkedUrl, UriKind.Absolute, out Uri? url) || url.Scheme != Uri.UriSchemeHttp || url.PathAndQuery != "/")
        {
            throw new StartupException($"{reader.Source(UrlSetting)} must be an http:// address without a path, got '{settings.Url}'");
        }

        return settings;
    }

    /// <summary>
    /// runtimes/nodejs beside the executable, where the build and the publish put it (and the image): a packaged binary
    /// runs actions from any working directory. Else runtimes/nodejs in the working directory, the repository's when
    /// started from its root.
    /// </summary>
    private static string DefaultRuntimeDirectory()
    {
        string beside = Path.Combine(AppContext.BaseDirectory, "runtimes", "nodejs");
        return File.Exists(Path.Combine(beside, "package.json")) ? beside : Path.GetFullPath(Path.Combine("runtimes", "nodejs"));
    }
}
