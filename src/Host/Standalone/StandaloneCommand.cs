using System.Globalization;
using Perf.Invoker.Acknowledgements;
using Perf.Invoker.Alarms;
using Perf.Invoker.Containers;
using Perf.Invoker.Feed;
using Perf.Invoker.Feed.Embedded;
using Perf.Invoker.Host.Engine;
using Perf.Invoker.Model;
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
        InvokerSettings shared = settings.Shared;
        string ownerTag = OwnerTag.For("standalone", shared.DataDirectory);
        await using InvokerEngine engine = await InvokerEngine.OpenAsync(shared, new EngineIdentity(
            "standalone", Instance: 0, Name: "standalone", ContainerPrefix: ownerTag + "_", ownerTag, SweepBeforeListening: false));

        NamespaceKeys keys;
        IReadOnlyDictionary<string, NamespaceLimits> limits;
        try
        {
            keys = NamespaceKeys.LoadOrCreate(shared.DataDirectory);
            limits = NamespaceLimits.ReadOverrides(shared.DataDirectory, settings.Limits);
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            throw new StartupException(e.Message, e);
        }

        var embedded = new EmbeddedActivationFeed(new SqliteActivationQueue(engine.Database), settings.QueueMax);
        using var waiters = new ActivationWaiters();
        var throttle = new NamespaceThrottle(keys.All.Select(k => k.Namespace), settings.Limits, limits, new InFlightActivations(waiters));
        engine.Compose(throttle.InFlight);
        engine.MoreMetrics = output => StandaloneMetrics.Write(output, throttle, embedded, engine.Actions);
        int maxPeek = PeekWindow.MaxPeek(shared.UserMemoryMegabytes, shared.ConcurrencyMax, shared.PeekFactor);
        engine.AddFeed(embedded, embedded, maxPeek, static message => $"activation at queue position {message.Offset}");
        var validation = new ActionValidation(new ConcurrencyRange(Max: shared.ConcurrencyMax));
        InvokerSwitch invokerSwitch = engine.Switch;
        var packages = new SqlitePackageStore(engine.Database);
        var api = new StandaloneApi(keys, engine.Actions, packages, new ActionResolver(engine.Actions, packages), engine.Records,
            new SqliteTriggerStore(engine.Database), new SqliteAlarmStore(engine.Database), embedded, waiters, validation, new SqliteApiStore(engine.Database), throttle, () => invokerSwitch.IsEnabled);
        api.Map(engine.App);
        using AlarmScheduler alarms = api.Alarms;
        await engine.StartAsync();
        // Alarms fire into the durable queue, so they may start before the feed: what they enqueue waits there.
        try
        {
            await alarms.StartAsync(engine.Stopping);
        }
        catch (StoreRecordException e)
        {
            // An unreadable alarm row stops the alarms, not the invoker; the line names the row to delete.
            Console.Error.WriteLine($"invoker standalone: alarms not started: {e.Message}");
        }

        string url = engine.Url;
        NamespaceKey key = keys.First;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
            invoker standalone listening on {url}
              namespace {key.Namespace}, auth {key.ApiKey}
              wsk property set --apihost {url} --auth {key.ApiKey}
              data in {shared.DataDirectory} (peek window {maxPeek})
            """));

        // Once the feed has stopped, blocking callers still waiting get their activation id.
        return await engine.RunAsync(feedsEnded: waiters.ReleaseAll);
    }
}
