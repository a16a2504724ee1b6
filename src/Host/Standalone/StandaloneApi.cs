using Perf.Invoker.Acknowledgements;
using Microsoft.AspNetCore.Http.Features;
using Perf.Invoker.Alarms;
using Perf.Invoker.Feed.Embedded;
using Perf.Invoker.Json;
using Perf.Invoker.Store;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// The REST subset of docs/openwhisk.md §7 over the embedded store and feed: the information documents, actions
/// create/update/get/list/delete (in packages too), invoke (blocking, non-blocking, result only, 202 after the blocking
/// wait), packages and bindings, activations list/get/logs/result, triggers (fire included) and rules, and the built-in
/// alarms feed actions, web actions and API routes. Every endpoint that addresses an action by name goes through the one <see cref="ActionResolver"/>.
/// Every request carries basic auth; a key sees only its own namespace (<c>_</c> names it), another namespace
/// in the path is 403 and another namespace's activation id is 404. Errors are OpenWhisk's JSON
/// <c>{"error":…,"code":…}</c>, never a stack trace. This type routes and authorizes; the endpoint groups answer.
/// </summary>
internal sealed class StandaloneApi
{
    private readonly NamespaceKeys _keys;
    private readonly InfoEndpoints _info = new();
    private readonly PackageEndpoints _packages;
    private readonly ActionEndpoints _actions;
    private readonly InvokeEndpoint _invoke;
    private readonly ActivationEndpoints _activations;
    private readonly TriggerEndpoints _triggers;
    private readonly RuleEndpoints _rules;
    private readonly AlarmFeedEndpoint _alarmFeed;
    private readonly WebActionEndpoints _web;
    private readonly ApiRouteEndpoints _routes;

    public StandaloneApi(
        NamespaceKeys keys,
        SqliteActionStore actions,
        SqlitePackageStore packages,
        ActionResolver resolver,
        SqliteActivationStore records,
        SqliteTriggerStore triggers,
        SqliteAlarmStore alarms,
        EmbeddedActivationFeed feed,
        ActivationWaiters waiters,
        ActionValidation validation,
        SqliteApiStore apis,
        NamespaceThrottle throttle,
        Func<bool> isEnabled,
        TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var factory = new ActivationFactory(time);
        var runner = new ActivationRunner(feed, waiters, records, factory, throttle);
        var qualified = new QualifiedActions(resolver);
        var sequences = new SequenceRunner(qualified, runner, records, time);
        _keys = keys;
        _packages = new PackageEndpoints(packages, actions);
        _actions = new ActionEndpoints(actions, packages, resolver, qualified, validation);
        _invoke = new InvokeEndpoint(resolver, runner, factory, sequences, throttle, isEnabled);
        _activations = new ActivationEndpoints(records);
        _web = new WebActionEndpoints(keys, qualified, runner, sequences, isEnabled);
        _routes = new ApiRouteEndpoints(keys, apis, _web);
        var firing = new TriggerFiring(resolver, sequences, records, feed, factory, isEnabled, time);
        _triggers = new TriggerEndpoints(triggers, alarms, firing, throttle, time);
        _rules = new RuleEndpoints(triggers, resolver, time);
        Alarms = new AlarmScheduler(time, alarms, new AlarmTarget(keys, triggers, firing, _triggers), static problem => Console.Error.WriteLine(problem));
        _triggers.Scheduler = Alarms;
        _alarmFeed = new AlarmFeedEndpoint(new AlarmFeed(alarms, Alarms, new AlarmTarget(keys, triggers, firing, _triggers)), records, time);
    }

    /// <summary>The timers of the alarms feed; started once the API listens, disposed when the invoker stops.</summary>
    public AlarmScheduler Alarms { get; }

    private delegate Task AuthorizedHandler(HttpContext context, NamespaceKey key);

    public void Map(IEndpointRouteBuilder app)
    {
        const string Namespace = "/api/v1/namespaces/{namespace}";
        _info.Map(app);
        app.MapGet("/api/v1/namespaces", Authorized(ListNamespacesAsync, checkNamespace: false));
        app.MapGet(Namespace + "/actions", Authorized(_actions.ListAsync));
        app.MapPut(Namespace + "/actions/{name}", Authorized(_actions.PutAsync));
        app.MapGet(Namespace + "/actions/{name}", Authorized(_actions.GetAsync));
        app.MapDelete(Namespace + "/actions/{name}", Authorized(_actions.DeleteAsync));
        app.MapPost(Namespace + "/actions/{name}", Authorized(_invoke.InvokeAsync));
        app.MapPut(Namespace + "/actions/{package}/{name}", Authorized(_actions.PutAsync));
        app.MapGet(Namespace + "/actions/{package}/{name}", Authorized(_actions.GetAsync));
        app.MapDelete(Namespace + "/actions/{package}/{name}", Authorized(_actions.DeleteAsync));
        app.MapPost(Namespace + "/actions/{package}/{name}", Authorized(_invoke.InvokeAsync));
        app.MapGet(Namespace + "/packages", Authorized(_packages.ListAsync));
        app.MapPut(Namespace + "/packages/{name}", Authorized(_packages.PutAsync));
        app.MapGet(Namespace + "/packages/{name}", Authorized(_packages.GetAsync));
        app.MapDelete(Namespace + "/packages/{name}", Authorized(_packages.DeleteAsync));
        app.MapGet(Namespace + "/activations", Authorized(_activations.ListAsync));
        app.MapGet(Namespace + "/activations/{id}", Authorized(_activations.GetAsync));
        app.MapGet(Namespace + "/activations/{id}/logs", Authorized(_activations.GetLogsAsync));
        app.MapGet(Namespace + "/activations/{id}/result", Authorized(_activations.GetResultAsync));
        app.MapGet(Namespace + "/triggers", Authorized(_triggers.ListAsync));
        app.MapPut(Namespace + "/triggers/{name}", Authorized(_triggers.PutAsync));
        app.MapGet(Namespace + "/triggers/{name}", Authorized(_triggers.GetAsync));
        app.MapDelete(Namespace + "/triggers/{name}", Authorized(_triggers.DeleteAsync));
        app.MapPost(Namespace + "/triggers/{name}", Authorized(_triggers.FireAsync));
        app.MapGet(Namespace + "/rules", Authorized(_rules.ListAsync));
        app.MapPut(Namespace + "/rules/{name}", Authorized(_rules.PutAsync));
        app.MapGet(Namespace + "/rules/{name}", Authorized(_rules.GetAsync));
        app.MapDelete(Namespace + "/rules/{name}", Authorized(_rules.DeleteAsync));
        app.MapPost(Namespace + "/rules/{name}", Authorized(_rules.SetStatusAsync));
        // The alarms package's feed actions, which any key may invoke (OpenWhisk's whisk.system packages are shared).
        app.MapPost("/api/v1/namespaces/whisk.system/actions/alarms/{feed}", Authorized(_alarmFeed.InvokeAsync, checkNamespace: false));
        app.MapGet("/api/v1/namespaces/whisk.system/packages/alarms", Authorized(AlarmFeedEndpoint.GetPackageAsync, checkNamespace: false));
        _web.Map(app);
        _routes.Map(app);
        // Anything else this subset does not serve: OpenWhisk's 404, in JSON.
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
            if (_keys.Authenticate(context.Request.Headers.Authorization) is not { } key)
            {
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"invoker\"";
                await ApiResponses.ErrorAsync(context, StatusCodes.Status401Unauthorized, ApiErrors.Unauthenticated);
                return;
            }

            // The namespace segment may carry a package (guest%2FP): its first part is the namespace.
            if (checkNamespace && EntityPath.Root(RequestReader.Route(context, "namespace"), out _) is var ns && ns != "_" && ns != key.Namespace)
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
        catch (StoreUnavailableException e)
        {
            // The disk is full or read-only: the operator's to fix, the client's to retry; nothing was accepted.
            Console.Error.WriteLine($"{context.Request.Method} {context.Request.Path}: 503: {e.Message}");
            if (!context.Response.HasStarted)
            {
                await ApiResponses.ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, ApiErrors.StoreUnavailable(e.Reason));
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
