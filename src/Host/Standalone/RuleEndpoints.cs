using System.Text.Json;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// <c>…/rules</c>: list (or count), create or update, get, enable or disable, and delete one rule of the caller's
/// namespace, as OpenWhisk's controller answers them (Rules.scala). A rule's status lives in its trigger's document: a
/// new rule is active; a rule whose trigger is gone shows as inactive and can only be disabled; deleting a rule, active
/// or not, unlinks it from its trigger.
/// </summary>
internal sealed class RuleEndpoints(SqliteTriggerStore triggers, ActionResolver resolver, TimeProvider time)
{
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
            await ApiResponses.WriteCountAsync(context, "rules", await triggers.CountRulesAsync(key.Namespace, context.RequestAborted));
            return;
        }

        IReadOnlyList<StoredRule> list = await triggers.ListRulesAsync(key.Namespace, limit, skip, context.RequestAborted);
        await ApiResponses.WriteArrayAsync(context, list, static rule => new RuleSummary
        {
            Namespace = rule.Namespace,
            Name = rule.Name,
            Trigger = rule.Spec.Trigger,
            Action = rule.Spec.Action,
            Version = rule.Spec.Version,
            Publish = rule.Spec.Publish,
            Annotations = rule.Spec.Annotations,
            Updated = rule.Updated,
        });
    }

    public async Task PutAsync(HttpContext context, NamespaceKey key)
    {
        if (await RequestReader.ReadPutAsync(context, "rule", InvokeEndpoint.MaxPayloadBytes) is not (var name, var overwrite, var body))
        {
            return;
        }

        RulePut put;
        FullyQualifiedEntityName? triggerName = null;
        FullyQualifiedEntityName? actionName = null;
        string? malformed = null;
        try
        {
            put = JsonModel.Read<RulePut>(body);
        }
        catch (JsonReadException e)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, ApiErrors.Malformed(e.Message));
            return;
        }

        if ((put.Trigger is { } t && !EntityNames.TryParse(t, key.Namespace, out triggerName, out malformed)) ||
            (put.Action is { } a && !EntityNames.TryParse(a, key.Namespace, out actionName, out malformed)))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, ApiErrors.Malformed(malformed!));
            return;
        }

        // OpenWhisk's entitlement check on the referenced entities: a key reads its own namespace only.
        if ((triggerName is not null && EntityNames.Root(triggerName) != key.Namespace) || (actionName is not null && EntityNames.Root(actionName) != key.Namespace))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status403Forbidden, ApiErrors.Forbidden);
            return;
        }

        StoredRule? existing = await triggers.GetRuleAsync(key.Namespace, name, context.RequestAborted);
        if (existing is not null && !overwrite)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status409Conflict, ApiErrors.Conflict);
            return;
        }

        if (existing is null && (triggerName is null || actionName is null))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, "rule requires a valid trigger and a valid action");
            return;
        }

        FullyQualifiedEntityName newTrigger = triggerName ?? existing!.Spec.Trigger;
        FullyQualifiedEntityName newAction = actionName ?? existing!.Spec.Action;
        if ((await resolver.ResolveAsync(EntityNames.Root(newAction), EntityNames.ActionKey(newAction), caller: null, context.RequestAborted)).Status != ResolveStatus.Found)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, $"action /{newAction} does not exist");
            return;
        }

        long updated = time.GetUtcNow().ToUnixTimeMilliseconds();
        string ruleKey = EntityNames.Qualified(key.Namespace, name);
        (StoredRule? stored, string status, int failure, string? error) = await triggers.ChangeAsync(change =>
        {
            StoredRule? old = change.GetRule(key.Namespace, name);
            if (old is not null && !overwrite)
            {
                return ((StoredRule?)null, RuleStatus.Inactive, StatusCodes.Status409Conflict, (string?)ApiErrors.Conflict);
            }

            if (change.GetTrigger(EntityNames.Root(newTrigger), EntityNames.ActionKey(newTrigger)) is not { } trigger)
            {
                return (null, RuleStatus.Inactive, StatusCodes.Status400BadRequest, $"trigger /{newTrigger} does not exist");
            }

            string status = RuleStatus.Active;
            if (old is not null)
            {
                StoredTrigger? oldTrigger = change.GetTrigger(EntityNames.Root(old.Spec.Trigger), EntityNames.ActionKey(old.Spec.Trigger));
                status = oldTrigger?.Rules.Find(ruleKey)?.Status ?? RuleStatus.Inactive;
                if (oldTrigger is not null && oldTrigger.Name != trigger.Name)
                {
                    change.PutTrigger(oldTrigger.Namespace, oldTrigger.Name, updated, With(oldTrigger.Spec, oldTrigger.Rules.Without(ruleKey)));
                }
            }

            change.PutTrigger(trigger.Namespace, trigger.Name, updated, With(trigger.Spec, trigger.Rules.With(ruleKey, new ReducedRule { Action = newAction, Status = status })));
            StoredRule rule = change.PutRule(key.Namespace, name, updated, new RuleSpec
            {
                Trigger = newTrigger,
                Action = newAction,
                Version = put.Version ?? (old is null ? "0.0.1" : EntityNames.UpPatch(old.Spec.Version)),
                Publish = put.Publish ?? old?.Spec.Publish ?? false,
                Annotations = put.Annotations ?? old?.Spec.Annotations ?? [],
            });
            return ((StoredRule?)rule, status, StatusCodes.Status200OK, null);
        }, context.RequestAborted);

        if (stored is null)
        {
            await ApiResponses.ErrorAsync(context, failure, error!);
            return;
        }

        await ApiResponses.WriteAsync(context, StatusCodes.Status200OK, Describe(stored, status));
    }

    public async Task GetAsync(HttpContext context, NamespaceKey key)
    {
        if (await FindAsync(context, key) is { } rule)
        {
            await ApiResponses.WriteAsync(context, StatusCodes.Status200OK, Describe(rule, await StatusAsync(rule, context.RequestAborted)));
        }
    }

    /// <summary>
    /// <c>POST …/rules/{name}</c> with <c>{"status":"active"|"inactive"}</c>: 200 once the rule is in that state (also when
    /// it already was); 404 when activating a rule whose trigger is gone.
    /// </summary>
    public async Task SetStatusAsync(HttpContext context, NamespaceKey key)
    {
        if (await FindAsync(context, key) is not { } rule || await RequestReader.ReadBodyAsync(context, InvokeEndpoint.MaxPayloadBytes) is not { } body)
        {
            return;
        }

        if (RequestedStatus(body, out string? malformed) is not { } requested)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, ApiErrors.Malformed(malformed!));
            return;
        }

        string ruleKey = EntityNames.Qualified(rule.Namespace, rule.Name);
        bool found = await triggers.ChangeAsync(change =>
        {
            StoredTrigger? trigger = change.GetTrigger(EntityNames.Root(rule.Spec.Trigger), EntityNames.ActionKey(rule.Spec.Trigger));
            string current = trigger?.Rules.Find(ruleKey)?.Status ?? RuleStatus.Inactive;
            if (current == requested)
            {
                return true;
            }

            if (trigger is null)
            {
                return false;
            }

            change.PutTrigger(trigger.Namespace, trigger.Name, time.GetUtcNow().ToUnixTimeMilliseconds(),
                With(trigger.Spec, trigger.Rules.With(ruleKey, new ReducedRule { Action = rule.Spec.Action, Status = requested })));
            return true;
        }, context.RequestAborted);

        if (!found)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status404NotFound, "Only rules with existing triggers can be activated");
            return;
        }

        // OpenWhisk completes with the bare status: akka-http's text/plain "OK".
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/plain; charset=UTF-8";
        await context.Response.WriteAsync("OK", context.RequestAborted);
    }

    public async Task DeleteAsync(HttpContext context, NamespaceKey key)
    {
        if (await FindAsync(context, key) is not { } rule)
        {
            return;
        }

        string ruleKey = EntityNames.Qualified(rule.Namespace, rule.Name);
        bool deleted = await triggers.ChangeAsync(change =>
        {
            if (change.GetTrigger(EntityNames.Root(rule.Spec.Trigger), EntityNames.ActionKey(rule.Spec.Trigger)) is { } trigger && trigger.Rules.Find(ruleKey) is not null)
            {
                change.PutTrigger(trigger.Namespace, trigger.Name, time.GetUtcNow().ToUnixTimeMilliseconds(), With(trigger.Spec, trigger.Rules.Without(ruleKey)));
            }

            return change.DeleteRule(rule.Namespace, rule.Name);
        }, context.RequestAborted);

        if (!deleted)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status404NotFound, ApiErrors.NotFound);
            return;
        }

        await ApiResponses.WriteAsync(context, StatusCodes.Status200OK, Describe(rule, RuleStatus.Inactive));
    }

    /// <summary>The rule the path names, or null after answering 400 (not a name) or 404.</summary>
    private async ValueTask<StoredRule?> FindAsync(HttpContext context, NamespaceKey key)
    {
        if (!RequestReader.TryName(context, out string? name))
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status400BadRequest, ApiErrors.BadName("rule", name));
            return null;
        }

        StoredRule? rule = await triggers.GetRuleAsync(key.Namespace, name, context.RequestAborted);
        if (rule is null)
        {
            await ApiResponses.ErrorAsync(context, StatusCodes.Status404NotFound, ApiErrors.NotFound);
        }

        return rule;
    }

    /// <summary>The rule's status as its trigger has it; inactive when the trigger is gone or does not link it.</summary>
    private async ValueTask<string> StatusAsync(StoredRule rule, CancellationToken cancellationToken) =>
        (await triggers.GetTriggerAsync(EntityNames.Root(rule.Spec.Trigger), EntityNames.ActionKey(rule.Spec.Trigger), cancellationToken))
            ?.Rules.Find(EntityNames.Qualified(rule.Namespace, rule.Name))?.Status ?? RuleStatus.Inactive;

    /// <summary>The body of an enable or disable: <c>{"status":"active"}</c> or <c>{"status":"inactive"}</c>, refused in OpenWhisk's words.</summary>
    private static string? RequestedStatus(byte[] body, out string? error)
    {
        error = null;
        try
        {
            using JsonDocument document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("status", out JsonElement status))
            {
                error = "key not found: status";
                return null;
            }

            if (status.ValueKind == JsonValueKind.String && status.GetString() is RuleStatus.Active or RuleStatus.Inactive)
            {
                return status.GetString();
            }

            string given = status.ValueKind == JsonValueKind.String ? status.GetString()! : status.GetRawText();
            error = $"'{given}' is not a recognized rule state, must be one of ['{RuleStatus.Active}', '{RuleStatus.Inactive}']";
            return null;
        }
        catch (JsonException e)
        {
            error = e.Message;
            return null;
        }
    }

    private static TriggerSpec With(TriggerSpec spec, TriggerRules rules) => new()
    {
        Parameters = spec.Parameters,
        Limits = spec.Limits,
        Version = spec.Version,
        Publish = spec.Publish,
        Annotations = spec.Annotations,
        Rules = rules,
    };

    private static RuleDocument Describe(StoredRule rule, string status) => new()
    {
        Namespace = rule.Namespace,
        Name = rule.Name,
        Status = status,
        Trigger = rule.Spec.Trigger,
        Action = rule.Spec.Action,
        Version = rule.Spec.Version,
        Publish = rule.Spec.Publish,
        Annotations = rule.Spec.Annotations,
        Updated = rule.Updated,
    };
}
