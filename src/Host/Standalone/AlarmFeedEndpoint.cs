using System.Diagnostics.CodeAnalysis;
using Perf.Invoker.Alarms;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// <c>POST /api/v1/namespaces/whisk.system/actions/alarms/{alarm|interval|once}</c>: the built-in alarms feed, invoked as
/// OpenWhisk clients invoke a feed action (wsk's <c>trigger create --feed</c>, the npm client's <c>feeds.create</c>):
/// answered in-process, recorded in the caller's namespace like the feed action's activation, and answered like an
/// invoke (the record or the result alone with <c>blocking=true</c>, 200 or 502 for a refusal; else 202 and the id).
/// </summary>
internal sealed class AlarmFeedEndpoint(AlarmFeed feed, SqliteActivationStore records, TimeProvider time)
{
    /// <summary>
    /// <c>GET /api/v1/namespaces/whisk.system/packages/alarms</c> (<c>wsk package get /whisk.system/alarms</c>): the package as
    /// the alarms package's installCatalog.sh publishes it, its three actions listed as feeds (each has <c>feed: true</c>); one line.
    /// </summary>
    private static readonly RawJson s_package = RawJson.Parse(string.Concat(
        """
        {"namespace":"whisk.system","name":"alarms","version":"0.0.1","publish":true,
        "annotations":[{"key":"description","value":"Alarms and periodic utility"},{"key":"parameters","value":[{"name":"trigger_payload","required":false}]}],
        "parameters":[{"key":"trigger_payload","value":""}],"binding":{},"actions":[],
        "feeds":[{"name":"alarm","version":"0.0.1","annotations":[{"key":"description","value":"Fire trigger when alarm occurs"},{"key":"parameters","value":[{"name":"cron","required":true},{"name":"timezone","required":false},{"name":"startDate","required":false},{"name":"stopDate","required":false},{"name":"strict","required":false}]},{"key":"feed","value":true}]},
        {"name":"once","version":"0.0.1","annotations":[{"key":"description","value":"Fire trigger once when alarm occurs"},{"key":"parameters","value":[{"name":"date","required":true},{"name":"deleteAfterFire","required":false}]},{"key":"feed","value":true}]},
        {"name":"interval","version":"0.0.1","annotations":[{"key":"description","value":"Fire trigger at specified interval"},{"key":"parameters","value":[{"name":"minutes","required":true},{"name":"startDate","required":false},{"name":"stopDate","required":false}]},{"key":"feed","value":true}]}]}
        """.Split('\n')));

    public static Task GetPackageAsync(HttpContext context, NamespaceKey key) => ApiResponses.WriteRawAsync(context, StatusCodes.Status200OK, s_package);

    public async Task InvokeAsync(HttpContext context, NamespaceKey key)
    {
        string name = RequestReader.Route(context, "feed");
        if (!AlarmFeed.Names.Contains(name))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status404NotFound, ApiErrors.NotFound);
            return;
        }

        if (!TryQuery(context.Request.Query, out bool blocking, out bool resultOnly, out string? badFlag))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, badFlag);
            return;
        }

        if (await RequestReader.ReadBodyAsync(context, InvokeEndpoint.MaxPayloadBytes) is not { } body)
        {
            return;
        }

        if (InvocationContent.Merge(null, body, out string? malformed) is not { } parameters)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, ApiErrors.Malformed(malformed!));
            return;
        }

        long start = time.GetUtcNow().ToUnixTimeMilliseconds();
        AlarmFeedResult result = await feed.InvokeAsync(name, key.Namespace, parameters, context.RequestAborted);
        long end = time.GetUtcNow().ToUnixTimeMilliseconds();
        var record = new ActivationRecord
        {
            Namespace = key.Namespace,
            Name = name,
            Subject = key.Namespace,
            ActivationId = ActivationId.NewId(),
            Start = start,
            End = end,
            Response = new ActivationResponse { StatusCode = (int)(result.Success ? ActivationStatus.Success : ActivationStatus.ApplicationError), Result = result.Result },
            Version = "0.0.1",
            Annotations = [new Parameter { Key = "path", Value = RawJson.FromString($"whisk.system/alarms/{name}") }],
            Duration = end - start,
        };
        await records.StoreAsync(record, context.RequestAborted);

        context.Response.Headers["x-openwhisk-activation-id"] = record.ActivationId.ToString();
        if (!blocking)
        {
            await ApiResponses.WriteActivationIdAsync(context, record.ActivationId);
            return;
        }

        int status = result.Success ? StatusCodes.Status200OK : StatusCodes.Status502BadGateway;
        await (resultOnly ? ApiResponses.WriteRawAsync(context, status, result.Result) : ApiResponses.WriteAsync(context, status, ActivationDocument.Of(record)));
    }

    private static bool TryQuery(IQueryCollection query, out bool blocking, out bool resultOnly, [NotNullWhen(false)] out string? error)
    {
        resultOnly = false;
        return RequestReader.TryFlag(query, "blocking", out blocking, out error) && RequestReader.TryFlag(query, "result", out resultOnly, out error);
    }
}

/// <summary>The alarms feed's view of the triggers: the REST API's own checks and paths, called in-process.</summary>
internal sealed class AlarmTarget(NamespaceKeys keys, SqliteTriggerStore triggers, TriggerFiring firing, TriggerEndpoints triggerEndpoints) : IAlarmTarget
{
    public async Task<int> CheckTriggerAsync(string authKey, string @namespace, string trigger, CancellationToken cancellationToken)
    {
        if (keys.Authenticate("Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(authKey))) is not { } key)
        {
            return StatusCodes.Status401Unauthorized;
        }

        if (key.Namespace != @namespace)
        {
            return StatusCodes.Status403Forbidden;
        }

        return await triggers.GetTriggerAsync(@namespace, trigger, cancellationToken) is null ? StatusCodes.Status404NotFound : StatusCodes.Status200OK;
    }

    public async Task<int> FireAsync(string @namespace, string trigger, RawJson payload, CancellationToken cancellationToken)
    {
        // Fired in the name of the namespace's key now, so a key changed in the key file since the alarm was made still fires.
        if (keys.All.FirstOrDefault(key => key.Namespace == @namespace) is not { } owner)
        {
            return StatusCodes.Status401Unauthorized;
        }

        if (await triggers.GetTriggerAsync(@namespace, trigger, cancellationToken) is not { } stored)
        {
            return StatusCodes.Status404NotFound;
        }

        RawJson arguments = InvocationContent.Merge(stored.Spec.Parameters, payload.Utf8, out _) ?? payload;
        return (await firing.FireAsync(owner, stored, payload, arguments, cancellationToken)).Status;
    }

    public async Task DeleteTriggerAsync(string @namespace, string trigger, bool withRules, CancellationToken cancellationToken) =>
        await triggerEndpoints.DeleteAsync(@namespace, trigger, withRules, cancellationToken);
}
