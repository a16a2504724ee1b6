using Perf.Invoker.Alarms;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// <c>…/triggers</c>: list (or count), and create or update, get, delete and fire one trigger of the caller's namespace,
/// as OpenWhisk's controller answers them (Triggers.scala). An update keeps what the request leaves out and the rules;
/// deleting a trigger leaves its rules, which then show as inactive, and stops its alarm.
/// </summary>
internal sealed class TriggerEndpoints(SqliteTriggerStore triggers, SqliteAlarmStore alarms, TriggerFiring firing, NamespaceThrottle throttle, TimeProvider time)
{
    /// <summary>Set once the scheduler exists; deleting a trigger disarms its alarm.</summary>
    public AlarmScheduler? Scheduler { get; set; }

    public async Task ListAsync(HttpContext context, NamespaceKey key)
    {
        if (!RequestReader.TryPaging(context, out int limit, out int skip, out string? error) ||
            !RequestReader.TryFlag(context.Request.Query, "count", out bool count, out error))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, error);
            return;
        }

        if (count)
        {
            await ApiResponses.WriteCountAsync(context, "triggers", await triggers.CountTriggersAsync(key.Namespace, context.RequestAborted));
            return;
        }

        IReadOnlyList<StoredTrigger> list = await triggers.ListTriggersAsync(key.Namespace, limit, skip, context.RequestAborted);
        await ApiResponses.WriteArrayAsync(context, list, static trigger => new TriggerSummary
        {
            Namespace = trigger.Namespace,
            Name = trigger.Name,
            Version = trigger.Spec.Version ?? "0.0.1",
            Publish = trigger.Spec.Publish ?? false,
            Annotations = trigger.Spec.Annotations ?? [],
            Updated = trigger.Updated,
        });
    }

    public async Task PutAsync(HttpContext context, NamespaceKey key)
    {
        if (await RequestReader.ReadPutAsync(context, "trigger", InvokeEndpoint.MaxPayloadBytes) is not (var name, var overwrite, var body))
        {
            return;
        }

        TriggerSpec put;
        try
        {
            put = body.AsSpan().Trim(" \t\r\n"u8).IsEmpty ? new TriggerSpec() : JsonModel.Read<TriggerSpec>(body);
        }
        catch (JsonReadException e)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, ApiErrors.Malformed(e.Message));
            return;
        }

        long updated = time.GetUtcNow().ToUnixTimeMilliseconds();
        (StoredTrigger? stored, int status, string? error) = await triggers.ChangeAsync(change =>
        {
            StoredTrigger? old = change.GetTrigger(key.Namespace, name);
            if (old is not null && !overwrite)
            {
                return ((StoredTrigger?)null, StatusCodes.Status409Conflict, (string?)ApiErrors.Conflict);
            }

            if (old is null && FeedAnnotation(put.Annotations) is { } feedName && !EntityNames.IsPath(feedName))
            {
                return (null, StatusCodes.Status400BadRequest, "Feed name is not valid");
            }

            TriggerSpec spec = old is null
                ? new TriggerSpec
                {
                    Parameters = put.Parameters ?? [],
                    Limits = put.Limits ?? RawJson.EmptyObject,
                    Version = put.Version ?? "0.0.1",
                    Publish = put.Publish ?? false,
                    Annotations = put.Annotations ?? [],
                }
                : new TriggerSpec
                {
                    Parameters = put.Parameters ?? old.Spec.Parameters,
                    Limits = put.Limits ?? old.Spec.Limits,
                    Version = put.Version ?? EntityNames.UpPatch(old.Spec.Version ?? "0.0.1"),
                    Publish = put.Publish ?? old.Spec.Publish,
                    Annotations = put.Annotations ?? old.Spec.Annotations,
                    Rules = old.Spec.Rules,
                };
            return ((StoredTrigger?)change.PutTrigger(key.Namespace, name, updated, spec), StatusCodes.Status200OK, null);
        }, context.RequestAborted);

        if (stored is null)
        {
            await ApiResponses.ErrorAsync(context, status, error!);
            return;
        }

        await ApiResponses.WriteAsync(context, StatusCodes.Status200OK, Describe(stored));
    }

    public async Task GetAsync(HttpContext context, NamespaceKey key)
    {
        if (await FindAsync(context, key) is { } trigger)
        {
            await ApiResponses.WriteAsync(context, StatusCodes.Status200OK, Describe(trigger));
        }
    }

    public async Task DeleteAsync(HttpContext context, NamespaceKey key)
    {
        if (await FindAsync(context, key) is not { } trigger)
        {
            return;
        }

        if (!await DeleteAsync(key.Namespace, trigger.Name, withRules: false, context.RequestAborted))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status404NotFound, ApiErrors.NotFound);
            return;
        }

        await ApiResponses.WriteAsync(context, StatusCodes.Status200OK, Describe(trigger));
    }

    /// <summary>
    /// <c>POST …/triggers/{name}</c> with the fire's parameters (a JSON object, or nothing): 202 with the trigger
    /// activation's id, or 204 without a body when no rule of the trigger is active.
    /// </summary>
    public async Task FireAsync(HttpContext context, NamespaceKey key)
    {
        // OpenWhisk's firesPerMinute, checked before the trigger is read, as its throttles are (429).
        if (!throttle.TryFire(key.Namespace, out string? refusal))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status429TooManyRequests, refusal!);
            return;
        }

        if (await FindAsync(context, key) is not { } trigger ||
            await RequestReader.ReadBodyAsync(context, InvokeEndpoint.MaxPayloadBytes) is not { } body)
        {
            return;
        }

        if (InvocationContent.Merge(null, body, out string? malformed) is not { } payload ||
            InvocationContent.Merge(trigger.Spec.Parameters, body, out malformed) is not { } arguments)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, ApiErrors.Malformed(malformed!));
            return;
        }

        FireOutcome outcome = await firing.FireAsync(key, trigger, payload, arguments, context.RequestAborted);
        if (outcome.ActivationId is not { } id)
        {
            context.Response.StatusCode = outcome.Status;
            return;
        }

        context.Response.Headers["x-openwhisk-activation-id"] = id.ToString();
        await ApiResponses.WriteActivationIdAsync(context, id);
    }

    /// <summary>Deletes the trigger (and with <paramref name="withRules"/> the rules linked to it) and its alarm.</summary>
    /// <returns>True when the trigger existed.</returns>
    public async Task<bool> DeleteAsync(string @namespace, string name, bool withRules, CancellationToken cancellationToken)
    {
        bool deleted = await triggers.ChangeAsync(change =>
        {
            if (withRules && change.GetTrigger(@namespace, name) is { } trigger)
            {
                foreach (KeyValuePair<string, ReducedRule> link in trigger.Rules.Links)
                {
                    string[] rule = link.Key.Split('/', 2);
                    if (rule.Length == 2 && rule[0] == @namespace)
                    {
                        change.DeleteRule(@namespace, rule[1]);
                    }
                }
            }

            return change.DeleteTrigger(@namespace, name);
        }, cancellationToken);
        Scheduler?.Disarm(@namespace, name);
        await alarms.DeleteAsync(@namespace, name, cancellationToken);
        return deleted;
    }

    /// <summary>The trigger the path names, or null after answering 400 (not a name) or 404.</summary>
    private async ValueTask<StoredTrigger?> FindAsync(HttpContext context, NamespaceKey key)
    {
        if (!RequestReader.TryName(context, out string? name))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, ApiErrors.BadName("trigger", name));
            return null;
        }

        StoredTrigger? trigger = await triggers.GetTriggerAsync(key.Namespace, name, context.RequestAborted);
        if (trigger is null)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status404NotFound, ApiErrors.NotFound);
        }

        return trigger;
    }

    private static string? FeedAnnotation(Parameter[]? annotations)
    {
        foreach (Parameter annotation in annotations ?? [])
        {
            if (annotation.Key == "feed")
            {
                // Anything but a string is no feed name.
                return annotation.Value.Utf8.Span is [(byte)'"', ..] ? JsonModel.Read<RawJson>(annotation.Value.Utf8).ToString().Trim('"') : string.Empty;
            }
        }

        return null;
    }

    private static TriggerDocument Describe(StoredTrigger trigger) => new()
    {
        Namespace = trigger.Namespace,
        Name = trigger.Name,
        Parameters = trigger.Spec.Parameters ?? [],
        Limits = trigger.Spec.Limits ?? RawJson.EmptyObject,
        Version = trigger.Spec.Version ?? "0.0.1",
        Publish = trigger.Spec.Publish ?? false,
        Annotations = trigger.Spec.Annotations ?? [],
        Rules = trigger.Spec.Rules,
    };
}
