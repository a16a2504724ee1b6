using System.Buffers;
using Perf.Invoker.Acknowledgements;
using Perf.Invoker.Containers;
using Perf.Invoker.Feed;
using Perf.Invoker.Invocation;
using Perf.Invoker.Exposition;
using Perf.Invoker.Model;
using Perf.Invoker.Pool;
using Perf.Invoker.Store;

namespace Perf.Invoker.Host.Engine;

/// <summary>What tells one mode's engine from another's.</summary>
/// <param name="Command">The mode's name in the lines it prints: <c>standalone</c>, <c>serve</c>.</param>
/// <param name="Instance">The invoker's id: its instance number and its unique and displayed name.</param>
/// <param name="ContainerPrefix">Docker container names start with it (docs/openwhisk.md §5).</param>
/// <param name="OwnerTag">Process containers carry it; a restart on the same data directory removes its predecessor's.</param>
/// <param name="SweepBeforeListening">
/// Removes leftover containers before the admin endpoint answers (serve: no health ping announces the invoker while a
/// predecessor's containers still hold memory), else after it answers and before the feeds start (standalone: the sweep
/// of process containers reads every process's environment, the slowest step of a start; accepted work waits durably).
/// </param>
/// <param name="InstanceId">The id acks and pings carry (serve: OpenWhisk's names, tags and user memory); null: made of <paramref name="Instance"/>, <paramref name="Name"/> and the user memory.</param>
internal sealed record EngineIdentity(string Command, int Instance, string Name, string ContainerPrefix, string OwnerTag, bool SweepBeforeListening, InvokerInstanceId? InstanceId = null);

/// <summary>
/// The invoker both modes run, composed once: the data directory, the SQLite store, the container factory and its
/// leftover sweep, the pool, the instance id, the activation invoker and its message handler, the feeds under
/// <see cref="FeedSupervisor"/>, and the admin endpoints on a Kestrel app. A mode adds its ack sink, its feed sources
/// and its routes. Every failure of the start is a <see cref="StartupException"/>: one line, exit code 2.
/// </summary>
/// <remarks>
/// In order: <see cref="OpenAsync"/>, <see cref="Compose"/> with the mode's sink, <see cref="AddFeed"/> per source,
/// the mode's routes on <see cref="App"/>, <see cref="StartAsync"/>, then <see cref="RunAsync"/> until stopped.
/// </remarks>
internal sealed class InvokerEngine : IAsyncDisposable
{
    private readonly List<MessageFeed> _feeds = [];
    private SqliteDatabase? _database;
    private IContainerFactory? _factory;
    private ContainerPool? _pool;
    private WebApplication? _app;
    private ActivationInvoker? _invoker;
    private ActivationMessageHandler? _handler;

    private InvokerEngine(InvokerSettings settings, EngineIdentity identity, ActionRuntimes runtimes)
    {
        Settings = settings;
        Identity = identity;
        Runtimes = runtimes;
    }

    public InvokerSettings Settings { get; }

    public EngineIdentity Identity { get; }

    /// <summary>Each kind's image, the stem cells prewarmed, <c>__OW_API_HOST</c>.</summary>
    public ActionRuntimes Runtimes { get; }

    public SqliteDatabase Database => _database!;

    public SqliteActivationStore Records { get; private set; } = null!;

    public SqliteActionStore Actions { get; private set; } = null!;

    public ContainerPool Pool => _pool!;

    public InvokerInstanceId Instance { get; private set; } = null!;

    /// <summary>The enable/disable switch of the admin endpoints, every feed and (serve) the health pings.</summary>
    public InvokerSwitch Switch { get; } = new();

    /// <summary>The Kestrel app of the admin endpoints (<c>GET /ping</c> already), where a mode maps its own routes before <see cref="StartAsync"/>.</summary>
    public WebApplication App => _app!;

    /// <summary>The bound address, which differs from --url when it asks for port 0.</summary>
    public string Url => App.Urls.FirstOrDefault() ?? Settings.Url;

    public CancellationToken Stopping => App.Lifetime.ApplicationStopping;

    /// <summary>Creates the data directory and opens the store, the container factory and the pool; removes leftovers if the identity says so.</summary>
    /// <param name="runtimes">What action containers run; <see cref="ActionRuntimes.Local"/> when null.</param>
    public static async Task<InvokerEngine> OpenAsync(InvokerSettings settings, EngineIdentity identity, ActionRuntimes? runtimes = null)
    {
        var engine = new InvokerEngine(settings, identity, runtimes ?? ActionRuntimes.Local);
        try
        {
            await engine.OpenPartsAsync();
            return engine;
        }
        catch
        {
            await engine.DisposeAsync();
            throw;
        }
    }

    /// <summary>The activation invoker over the mode's ack sink, and the handler all of the mode's feeds share.</summary>
    /// <param name="userEvents">Sends each record's user event (serve, <c>whisk.user-events.enabled</c>); none when null.</param>
    /// <param name="records">
    /// Where actions come from and records go, with the blacklist (serve in a cluster: CouchDB); the SQLite store of the
    /// data directory when null.
    /// </param>
    /// <param name="storePolicy">OpenWhisk's store levels (serve); every record stored when null.</param>
    public void Compose(IAcknowledgementSink acks, UserEventPublisher? userEvents = null, ActivationRecords? records = null, ActivationStorePolicy? storePolicy = null)
    {
        IActivationStore store = records?.Store ?? Records;
        _invoker = new ActivationInvoker(Pool, store, acks, Instance, storePolicy: storePolicy, userEvents: userEvents);
        _handler = new ActivationMessageHandler(
            _invoker,
            store,
            records?.Actions ?? new SqliteActionSource(Actions),
            static problem => Console.Error.WriteLine(problem),
            blacklist: records?.Blacklist);
    }

    /// <summary>More Prometheus families after the engine's own on <c>GET /metrics</c> (the cluster database's); set before <see cref="StartAsync"/>.</summary>
    public Action<IBufferWriter<byte>>? MoreMetrics { get; set; }

    /// <summary>A feed of <paramref name="source"/> into the handler, with the engine's switch; reported by /metrics.</summary>
    /// <param name="describe">Names a message whose handling failed, in the line that says so.</param>
    public MessageFeed AddFeed(IMessageSource source, IOffsetCommitter committer, int maxPeek, Func<FeedMessage, string> describe)
    {
        ActivationMessageHandler handler = _handler ?? throw new InvalidOperationException("Compose the engine before adding feeds.");
        var feed = new MessageFeed(source, committer, message => handler.HandleAsync(message.Value, message.MayBeRedelivered), new MessageFeedOptions
        {
            MaxPeek = maxPeek,
            Switch = Switch,
            OnHandlerFault = (message, e) => Console.Error.WriteLine($"{describe(message)} failed: {e.Message}"),
        });
        _feeds.Add(feed);
        return feed;
    }

    /// <summary>The SQLite group commit's figures (docs/metrics.md), then the mode's own.</summary>
    private static void WriteDatabaseMetrics(IBufferWriter<byte> output, SqliteDatabase database, Action<IBufferWriter<byte>>? more)
    {
        var writer = new PrometheusTextWriter(output);
        writer.WriteFamily("invoker_sqlite_commits_total"u8, "counter"u8, "Transactions of the SQLite writer; each carries a group of writes"u8);
        writer.WriteSample("invoker_sqlite_commits_total"u8, database.Commits);
        writer.WriteFamily("invoker_sqlite_writes_total"u8, "counter"u8, "Writes those transactions carried: enqueues, completions, records, action changes"u8);
        writer.WriteSample("invoker_sqlite_writes_total"u8, database.Writes);
        more?.Invoke(output);
    }

    /// <summary>Maps the admin endpoints and starts listening.</summary>
    public async Task StartAsync()
    {
        ActivationInvoker invoker = _invoker ?? throw new InvalidOperationException("Compose the engine before starting it.");
        Action<IBufferWriter<byte>>? moreMetrics = _database is { } database ? output => WriteDatabaseMetrics(output, database, MoreMetrics) : MoreMetrics;
        AdminEndpoints.Map(App, new AdminState(new InvokerMetricsWriter(invoker.Metrics, Pool, _feeds, Switch), Switch, moreMetrics));
        try
        {
            await App.StartAsync();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            // Typically the port is taken, by an invoker already running on it; or Kestrel refuses the address.
            throw new StartupException(e.Message, e);
        }

        if (Settings.Backend.Kind == ContainerBackendKind.Process && !File.Exists(Path.Combine(Settings.RuntimeDirectory, "package.json")))
        {
            // A warning once started, not a failure: a runtime may be installed later; a failed start stays one line.
            Console.Error.WriteLine($"invoker {Identity.Command}: no Node.js runtime in {Settings.RuntimeDirectory} (--runtime); actions will fail to start.");
        }
    }

    /// <summary>
    /// Removes leftovers (unless done at open), then runs every feed until the invoker is stopped; a feed ending by itself
    /// stops it with exit code 1 (<see cref="FeedSupervisor"/>): a fault of one is not hidden by another running on.
    /// </summary>
    /// <param name="feedsEnded">Called once the first feed has ended, the stop drained.</param>
    public async Task<int> RunAsync(Action? feedsEnded = null)
    {
        if (!Identity.SweepBeforeListening)
        {
            try
            {
                await _factory!.RemoveLeftoversAsync(Stopping);
            }
            catch (OperationCanceledException)
            {
                // Stopped while sweeping: the feeds below end at once.
            }
        }

        Task[] running = [.. _feeds.Select(feed => feed.RunAsync(Stopping))];
        int exitCode = await FeedSupervisor.RunAsync(App, FirstEndedAsync(running, feedsEnded), Identity.Command);
        // All drain before the process ends; a fault was reported already.
        await Task.WhenAll(running).ContinueWith(static _ => { }, TaskScheduler.Default);
        return exitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        if (_pool is not null)
        {
            await _pool.DisposeAsync();
        }

        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        _database?.Dispose();
    }

    private static async Task FirstEndedAsync(Task[] running, Action? feedsEnded)
    {
        try
        {
            await await Task.WhenAny(running);
        }
        finally
        {
            feedsEnded?.Invoke();
        }
    }

    private async Task OpenPartsAsync()
    {
        string data = Settings.DataDirectory;
        if (File.Exists(data))
        {
            // Said plainly: the IOException's own message is a resource key in the trimmed executable.
            throw new StartupException($"the data directory {data} is a file");
        }

        try
        {
            Directory.CreateDirectory(data);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The operator's data directory (a file, not writable): one line, not a stack trace.
            throw new StartupException($"the data directory {data} cannot be used: {e.Message}", e);
        }

        string databasePath = Path.Combine(data, "invoker.db");
        try
        {
            _database = SqliteDatabase.Open(databasePath);
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException or UnauthorizedAccessException)
        {
            // Not a database, or not writable.
            throw new StartupException($"{databasePath}: {e.Message}", e);
        }

        Records = new SqliteActivationStore(_database, static line => Console.Error.WriteLine(line));
        Actions = new SqliteActionStore(_database, Settings.ActionCacheBytes);

        _factory = Settings.Backend.CreateFactory(Settings.RuntimeDirectory, Identity.ContainerPrefix, Identity.OwnerTag, Settings.UserMemoryMegabytes, Runtimes);
        if (Identity.SweepBeforeListening)
        {
            // docs/openwhisk.md §5: containers with this invoker's prefix are removed at start, a crashed predecessor's included.
            try
            {
                await _factory.RemoveLeftoversAsync(CancellationToken.None);
            }
            catch (Exception e)
            {
                // Typically the Docker daemon does not answer: the invoker could start no container either.
                throw new StartupException($"removing leftover containers failed: {e.GetType().Name}: {e.Message}", e);
            }
        }

        _pool = new ContainerPool(_factory, new ContainerPoolOptions
        {
            UserMemoryMegabytes = Settings.UserMemoryMegabytes,
            NamePrefix = Identity.ContainerPrefix,
            Concurrency = Settings.Concurrency,
            Prewarm = Runtimes.Prewarm,
        });
        Instance = Identity.InstanceId ?? new InvokerInstanceId
        {
            Instance = Identity.Instance,
            UniqueName = Identity.Name,
            DisplayedName = Identity.Name,
            UserMemory = ByteSize.FromMegabytes(Settings.UserMemoryMegabytes),
        };
        _app = AdminEndpoints.Build(Settings.Url);
    }
}
