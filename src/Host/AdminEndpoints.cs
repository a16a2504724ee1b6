namespace Perf.Invoker.Host;

/// <summary>The admin surface shared by every mode (DESIGN.md §1, host).</summary>
internal static class AdminEndpoints
{
    public static WebApplication Build(string url)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(url);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet("/ping", static () => Results.Text("pong"));
        return app;
    }
}
