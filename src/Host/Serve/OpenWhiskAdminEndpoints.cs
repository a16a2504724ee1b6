using Perf.Invoker.Feed;

namespace Perf.Invoker.Host.Serve;

/// <summary>
/// OpenWhisk's invoker admin routes (DefaultInvokerServer; docs/cluster.md, "Starting the invoker the OpenWhisk way"), beside
/// the engine's /ping, /metrics and /invoker/enable|disable: <c>POST /enable</c>, <c>POST /disable</c> and
/// <c>GET /isEnabled</c> behind Basic auth, with OpenWhisk's plain-text answers word for word.
/// </summary>
internal static class OpenWhiskAdminEndpoints
{
    /// <param name="name">OpenWhisk's name of the invoker (<c>invoker0/0</c>), in the answers.</param>
    /// <param name="disabled">Sends the <c>isEnabled: false</c> ping at once, as OpenWhisk's disable does.</param>
    public static void Map(IEndpointRouteBuilder endpoints, InvokerSwitch invokerSwitch, BasicCredentials credentials, string name, Func<CancellationToken, ValueTask> disabled)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapPost("/enable", async context =>
        {
            if (await RefusedAsync(context, credentials))
            {
                return;
            }

            bool was = invokerSwitch.IsEnabled;
            invokerSwitch.Enable();
            await WriteAsync(context, was ? $"{name} is already enabled." : $"{name} is now enabled.");
        });
        endpoints.MapPost("/disable", async context =>
        {
            if (await RefusedAsync(context, credentials))
            {
                return;
            }

            bool was = invokerSwitch.IsEnabled;
            invokerSwitch.Disable();
            // OpenWhisk pings isEnabled=false on every disable, then stops pinging; a failed ping is the pinger's to report.
            try
            {
                await disabled(context.RequestAborted);
            }
#pragma warning disable CA1031 // The switch is off either way; the next tick says so if this ping was lost.
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            await WriteAsync(context, was ? $"{name} is now disabled." : $"{name} is already disabled.");
        });
        endpoints.MapGet("/isEnabled", async context =>
        {
            if (await RefusedAsync(context, credentials))
            {
                return;
            }

            await WriteAsync(context, invokerSwitch.IsEnabled ? """{"enabled":true}""" : """{"enabled":false}""");
        });
    }

    private static async Task<bool> RefusedAsync(HttpContext context, BasicCredentials credentials)
    {
        if (credentials.Accepts(context.Request.Headers.Authorization))
        {
            return false;
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Basic realm=\"invoker\"";
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync("""{"error":"The supplied authentication is invalid"}""", context.RequestAborted);
        return true;
    }

    /// <summary>OpenWhisk completes these routes with a string: text/plain.</summary>
    private static Task WriteAsync(HttpContext context, string text)
    {
        context.Response.ContentType = "text/plain; charset=UTF-8";
        return context.Response.WriteAsync(text, context.RequestAborted);
    }
}
