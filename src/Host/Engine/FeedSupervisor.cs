namespace Perf.Invoker.Host.Engine;

/// <summary>
/// Runs a host until it is stopped, watching its feed. A feed that ends by itself (a fault of its source: the store,
/// the broker client) would leave an invoker that answers /ping, pings its controller and accepts work it never runs.
/// Instead the process stops with exit code 1, saying why, so that its supervisor restarts it; no work is lost, since
/// nothing was committed that had not completed (the durable queue, Kafka offsets).
/// </summary>
internal static class FeedSupervisor
{
    public static async Task<int> RunAsync(WebApplication app, Task feeding, string command)
    {
        Task shutdown = app.WaitForShutdownAsync();
        if (await Task.WhenAny(feeding, shutdown) == feeding && !app.Lifetime.ApplicationStopping.IsCancellationRequested)
        {
            Console.Error.WriteLine($"invoker {command}: the feed stopped ({Reason(feeding)}); stopping so that a supervisor restarts the invoker; work not completed is delivered again.");
            app.Lifetime.StopApplication();
            await shutdown;
            return 1;
        }

        await shutdown;
        try
        {
            await feeding;
        }
        catch (OperationCanceledException)
        {
            // Stopped, as asked.
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"invoker {command}: the feed failed while stopping: {e.GetType().Name}: {e.Message}");
            return 1;
        }

        return 0;
    }

    private static string Reason(Task feeding) =>
        feeding.Exception?.InnerException is { } e ? $"{e.GetType().Name}: {e.Message}" : "it ended without an error";
}
