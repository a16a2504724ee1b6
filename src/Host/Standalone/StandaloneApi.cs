using Perf.Invoker.Acknowledgements;
using Microsoft.AspNetCore.Http.Features;
using Perf.Invoker.Feed.Embedded;
using Perf.Invoker.Json;
using Perf.Invoker.Store;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// The REST subset of docs/openwhisk.md §7 over the embedded store and feed: actions create/update/get/list/delete,
/// invoke (blocking, non-blocking, result only, 202 after the blocking wait) and activations list/get/logs/result.
/// Every request carries basic auth; a key sees only its own namespace (<c>_</c> names it), another namespace
/// in the path is 403 and another namespace's activation id is 404. Errors are OpenWhisk's JSON
/// <c>{"error":…,"code":…}</c>, never a stack trace. This type routes and authorizes; the endpoint groups answer.
/// </summary>
internal sealed class StandaloneApi(
    NamespaceKeys keys,
    SqliteActionStore actions,
    SqliteActivationStore records,
    EmbeddedActivationFeed feed,
    ActivationWaiters waiters,
    ActionValidation validation,
    NamespaceThrottle throttle,
    Func<bool> isEnabled,
    TimeProvider? time = null)
{
    private readonly ActionEndpoints _actions = new(actions, validation);
    private readonly InvokeEndpoint _invoke = new(actions, records, feed, waiters, new ActivationFactory(time ?? TimeProvider.System), throttle, isEnabled);
    private readonly ActivationEndpoints _activations = new(records);

    private delegate Task AuthorizedHandler(HttpContext context, NamespaceKey key);

    public void Map(IEndpointRouteBuilder app)
    {
        const string Namespace = "/api/v1/namespaces/{namespace}";
        app.MapGet("/api/v1/namespaces", Authorized(ListNamespacesAsync, checkNamespace: false));
        app.MapGet(Namespace + "/actions", Authorized(_actions.ListAsync));
        app.MapPut(Namespace + "/actions/{name}", Authorized(_actions.PutAsync));
        app.MapGet(Namespace + "/actions/{name}", Authorized(_actions.GetAsync));
        app.MapDelete(Namespace + "/actions/{name}", Authorized(_actions.DeleteAsync));
        app.MapPost(Namespace + "/actions/{name}", Authorized(_invoke.InvokeAsync));
        app.MapGet(Namespace + "/activations", Authorized(_activations.ListAsync));
        app.MapGet(Namespace + "/activations/{id}", Authorized(_activations.GetAsync));
        app.MapGet(Namespace + "/activations/{id}/logs", Authorized(_activations.GetLogsAsync));
        app.MapGet(Namespace + "/activations/{id}/result", Authorized(_activations.GetResultAsync));
        // Packages, triggers, rules and anything else this subset does not serve: OpenWhisk's 404, in JSON.
        app.MapFallback(static context => ApiResponses.ErrorAsync(context, StatusCodes.Status404NotFound, ApiErrors.NotFound));
    }

    private RequestDelegate Authorized(AuthorizedHandler handler, bool checkNamespace = true) => async context =>
    {
        // Kestrel's own body limit is off for these routes: each handler enforces its own and answers 413 in JSON.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = null;
        }

        try
        {
            if (keys.Authenticate(context.Request.Headers.Authorization) is not { } key)
            {
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"invoker\"";
                await ApiResponses.ErrorAsync(context, StatusCodes.Status401Unauthorized, ApiErrors.Unauthenticated);
                return;
            }

            if (checkNamespace && RequestReader.Route(context, "namespace") is var ns && ns != "_" && ns != key.Namespace)
            {
                await ApiResponses.ErrorAsync(context, StatusCodes.Status403Forbidden, ApiErrors.Forbidden);
                return;
            }

            await handler(context, key);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The caller went away; nothing to answer.
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel found the request itself broken while the body was read (chunk framing, a body too slow to
            // arrive): the caller's fault, with Kestrel's status and reason, not a fault of the invoker.
            if (!context.Response.HasStarted)
            {
                await ApiResponses.ErrorAsync(context, e.StatusCode, ApiErrors.Malformed(e.Message));
            }
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"{context.Request.Method} {context.Request.Path}: {e.GetType().Name}: {e.Message}");
            if (!context.Response.HasStarted)
            {
                await ApiResponses.ErrorAsync(context, StatusCodes.Status500InternalServerError, ApiErrors.Internal);
            }
        }
    };

    /// <summary><c>GET /api/v1/namespaces</c>: a key sees one namespace, its own.</summary>
    private static async Task ListNamespacesAsync(HttpContext context, NamespaceKey key)
    {
        ApiResponses.Start(context, StatusCodes.Status200OK);
        var writer = new JsonWriter(context.Response.BodyWriter);
        writer.WriteByte((byte)'[');
        writer.WriteString(key.Namespace);
        writer.WriteByte((byte)']');
        writer.Flush();
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }
}
