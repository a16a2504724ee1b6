using System.Buffers;
using Perf.Invoker.Exposition;
using Perf.Invoker.Feed;

namespace Perf.Invoker.Host.Engine;

/// <summary>
/// The admin surface shared by every mode (docs/architecture.md §1, host; docs/metrics.md). A host builds its Kestrel app with
/// <see cref="Build"/> (which serves <c>GET /ping</c>), then calls <see cref="Map"/> with its <see cref="AdminState"/>
/// for <c>GET /metrics</c>, <c>POST /invoker/enable</c> and <c>POST /invoker/disable</c>, and maps its own routes beside
/// them. Handlers are plain <see cref="RequestDelegate"/>s writing bytes: no reflection, Native AOT clean.
/// </summary>
internal static class AdminEndpoints
{
    /// <summary>A slim Kestrel app listening on <paramref name="url"/>, serving <c>GET /ping</c>.</summary>
    public static WebApplication Build(string url)
    {
        // Configuration is read once: by default the host watches its content root (the working directory) recursively
        // for appsettings changes, and a data directory under it (the default .data) then woke that watcher on every
        // SQLite write, several times per activation (docs/performance.md §3).
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.WebHost.UseUrls(url);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet("/ping", static () => Results.Text("pong"));
        return app;
    }

    /// <summary>Maps <c>GET /metrics</c> (Prometheus text 0.0.4) and the enable/disable switch (200 <c>{"enabled":bool}</c>).</summary>
    public static void Map(IEndpointRouteBuilder endpoints, AdminState state)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(state);
        endpoints.MapGet("/metrics", async context =>
        {
            context.Response.ContentType = PrometheusTextWriter.ContentType;
            state.Metrics.Write(context.Response.BodyWriter);
            state.MoreMetrics?.Invoke(context.Response.BodyWriter);
            await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
        });
        endpoints.MapPost("/invoker/enable", context =>
        {
            state.Switch.Enable();
            return WriteEnabledAsync(context, state.Switch);
        });
        endpoints.MapPost("/invoker/disable", context =>
        {
            state.Switch.Disable();
            return WriteEnabledAsync(context, state.Switch);
        });
    }

    private static async Task WriteEnabledAsync(HttpContext context, InvokerSwitch invokerSwitch)
    {
        context.Response.ContentType = "application/json";
        context.Response.BodyWriter.Write(invokerSwitch.IsEnabled ? """{"enabled":true}"""u8 : """{"enabled":false}"""u8);
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }
}

/// <summary>
/// What the admin endpoints serve: the metrics of this invoker and its enable/disable switch. The switch must be the
/// one the host's feeds (<see cref="MessageFeedOptions.Switch"/>) and health pinger were given.
/// </summary>
internal sealed class AdminState(InvokerMetricsWriter metrics, InvokerSwitch invokerSwitch, Action<IBufferWriter<byte>>? moreMetrics = null)
{
    public InvokerMetricsWriter Metrics { get; } = metrics;

    /// <summary>A mode's own families, written after the engine's.</summary>
    public Action<IBufferWriter<byte>>? MoreMetrics { get; } = moreMetrics;

    public InvokerSwitch Switch { get; } = invokerSwitch;
}
