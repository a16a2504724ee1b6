using System.Globalization;
using Perf.Invoker.Acknowledgements;
using Perf.Invoker.Containers;
using Perf.Invoker.Exposition;
using Perf.Invoker.Feed;
using Perf.Invoker.Feed.Embedded;
using Perf.Invoker.Invocation;
using Perf.Invoker.Model;
using Perf.Invoker.Pool;
using Perf.Invoker.Store;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// <c>invoker standalone</c>, the embedded defaults: the REST API and admin endpoints on one Kestrel, an accepted
/// activation committed to the SQLite queue before the answer, the embedded feed's credit window, process
/// containers, records in the SQLite store and blocking callers answered in-process.
/// </summary>
internal static class StandaloneCommand
{
    public static async Task<int> RunAsync(StandaloneSettings settings)
    {
        NamespaceKeys keys;
        try
        {
            Directory.CreateDirectory(settings.DataDirectory);
            keys = NamespaceKeys.LoadOrCreate(settings.DataDirectory);
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            // The operator's data directory: say what is wrong with it in one line, not with a stack trace.
            Console.Error.WriteLine($"invoker standalone: {e.Message}");
            return 2;
        }

        if (settings.Backend.Kind == "process" && !File.Exists(Path.Combine(settings.RuntimeDirectory, "package.json")))
        {
            Console.Error.WriteLine($"invoker standalone: no Node.js runtime in {settings.RuntimeDirectory} (--runtime); actions will fail to start.");
        }

        string databasePath = Path.Combine(settings.DataDirectory, "invoker.db");
        using SqliteDatabase? database = OpenDatabase(databasePath);
        if (database is null)
        {
            return 2;
        }

        var records = new SqliteActivationStore(database);
        var actions = new SqliteActionStore(database);
        var embedded = new EmbeddedActivationFeed(new SqliteActivationQueue(database));
        var waiters = new ActivationWaiters();

        string ownerTag = OwnerTag.For("standalone", settings.DataDirectory);
        await using IContainerFactory factory = settings.Backend.CreateFactory(settings.RuntimeDirectory, ownerTag + "_", ownerTag, settings.UserMemoryMegabytes);

        var concurrency = new ConcurrencyRange(Max: settings.ConcurrencyMax);
        await using var pool = new ContainerPool(factory, new ContainerPoolOptions
        {
            UserMemoryMegabytes = settings.UserMemoryMegabytes,
            NamePrefix = ownerTag + "_",
            Concurrency = concurrency,
        });
        var instance = new InvokerInstanceId
        {
            Instance = 0,
            UniqueName = "standalone",
            DisplayedName = "standalone",
            UserMemory = ByteSize.FromMegabytes(settings.UserMemoryMegabytes),
        };
        var invoker = new ActivationInvoker(pool, records, waiters, instance);
        var handler = new ActivationMessageHandler(
            invoker,
            records,
            async (message, cancellationToken) => (await actions.GetAsync(message.Action.Path, message.Action.Name, cancellationToken).ConfigureAwait(false))?.Executable,
            static problem => Console.Error.WriteLine(problem));
        int maxPeek = PeekWindow.MaxPeek(settings.UserMemoryMegabytes, settings.ConcurrencyMax, settings.PeekFactor);
        var invokerSwitch = new InvokerSwitch();
        var feed = new MessageFeed(embedded, embedded, message => handler.HandleAsync(message.Value), new MessageFeedOptions
        {
            MaxPeek = maxPeek,
            Switch = invokerSwitch,
            OnHandlerFault = static (message, e) => Console.Error.WriteLine($"activation at queue position {message.Offset} failed: {e.Message}"),
        });

        await using var app = AdminEndpoints.Build(settings.Url);
        AdminEndpoints.Map(app, new AdminState(new InvokerMetricsWriter(invoker.Metrics, pool, [feed], invokerSwitch), invokerSwitch));
        new StandaloneApi(keys, actions, records, embedded, waiters, new ActionValidation(concurrency), () => invokerSwitch.IsEnabled).Map(app);
        try
        {
            await app.StartAsync();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            // Typically the port is taken, by an invoker already running on it; or Kestrel refuses the address.
            Console.Error.WriteLine($"invoker standalone: {e.Message}");
            return 2;
        }

        // The bound address, which differs from --url when it asks for port 0.
        string url = app.Urls.FirstOrDefault() ?? settings.Url;
        NamespaceKey key = keys.First;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
            invoker standalone listening on {url}
              namespace {key.Namespace}, auth {key.ApiKey}
              wsk property set --apihost {url} --auth {key.ApiKey}
              data in {settings.DataDirectory} (peek window {maxPeek})
            """));

        // Runtimes a killed predecessor left behind hold memory and ports. The sweep reads every process's
        // environment, the slowest step of a start, so it runs after the API answers and before the feed
        // starts a container; activations accepted meanwhile wait in the durable queue.
        try
        {
            await factory.RemoveLeftoversAsync(app.Lifetime.ApplicationStopping);
        }
        catch (OperationCanceledException)
        {
            // Stopped while sweeping: the feed below ends at once.
        }

        return await FeedSupervisor.RunAsync(app, FeedAsync(feed, waiters, app.Lifetime.ApplicationStopping), "standalone");
    }

    /// <summary>Runs the feed until the stop has drained it; blocking callers still waiting then get their activation id.</summary>
    private static async Task FeedAsync(MessageFeed feed, ActivationWaiters waiters, CancellationToken stopping)
    {
        try
        {
            await feed.RunAsync(stopping);
        }
        finally
        {
            waiters.ReleaseAll();
        }
    }

    /// <summary>The store, or null after saying in one line why the file cannot be one (not a database, not writable).</summary>
    private static SqliteDatabase? OpenDatabase(string path)
    {
        try
        {
            return SqliteDatabase.Open(path);
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"invoker standalone: {path}: {e.Message}");
            return null;
        }
    }
}
