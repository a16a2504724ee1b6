using Perf.Invoker.Feed.Embedded;
using Perf.Invoker.Invocation;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Host.Standalone;

/// <summary>What firing a trigger did: 202 with the trigger activation's id, or 204 when no rule of it is active.</summary>
internal readonly record struct FireOutcome(int Status, ActivationId? ActivationId);

/// <summary>
/// Fires a trigger as OpenWhisk's controller does (Triggers.scala, activate and activateRules), for the REST API and the
/// alarms feed alike: with no active rule nothing is recorded (204); otherwise the action of each active rule gets a
/// non-blocking activation, committed to the embedded queue like any invoke, with the trigger's parameters under the
/// fire's and the action's defaults under both, and <c>cause</c> set to the trigger activation; the trigger activation
/// itself is stored at once with the fire's parameters as its result and one log line per rule saying what firing it
/// did (an inactive rule's line says it was not activated). A rule's action is found as any invoke finds it (a package's
/// or a binding's parameters merged); a sequence starts as a non-blocking invoke of it would.
/// </summary>
internal sealed class TriggerFiring(
    ActionResolver resolver,
    SequenceRunner sequences,
    SqliteActivationStore records,
    EmbeddedActivationFeed feed,
    ActivationFactory factory,
    Func<bool> isEnabled,
    TimeProvider time)
{
    /// <param name="payload">The fire's parameters, a JSON object.</param>
    /// <param name="arguments">The trigger's parameters with <paramref name="payload"/> over them.</param>
    public async Task<FireOutcome> FireAsync(NamespaceKey key, StoredTrigger trigger, RawJson payload, RawJson arguments, CancellationToken cancellationToken)
    {
        TriggerRules rules = trigger.Rules;
        if (!rules.Links.Any(static link => link.Value.Status == RuleStatus.Active))
        {
            return new FireOutcome(StatusCodes.Status204NoContent, null);
        }

        ActivationId id = ActivationId.NewId();
        long start = time.GetUtcNow().ToUnixTimeMilliseconds();
        var logs = new string[rules.Links.Count];
        for (int i = 0; i < logs.Length; i++)
        {
            (string rule, ReducedRule link) = (rules.Links[i].Key, rules.Links[i].Value);
            RuleActivationResult result = link.Status == RuleStatus.Active
                ? await ActivateAsync(key, rule, link.Action, arguments, id, cancellationToken)
                : Failed(ActivationStatus.ApplicationError, rule, link.Action, $"Rule '{rule}' is inactive, action '{link.Action}' was not activated.");
            logs[i] = JsonModel.ToJsonString(result);
        }

        await records.StoreAsync(new ActivationRecord
        {
            Namespace = key.Namespace,
            Name = trigger.Name,
            Subject = key.Namespace,
            ActivationId = id,
            Start = start,
            // OpenWhisk's trigger activation ends at the epoch and has no duration.
            End = 0,
            Response = new ActivationResponse { StatusCode = (int)ActivationStatus.Success, Result = payload },
            Logs = logs,
            Version = trigger.Spec.Version ?? "0.0.1",
        }, cancellationToken);
        return new FireOutcome(StatusCodes.Status202Accepted, id);
    }

    /// <summary>Posts the rule's action as a non-blocking invoke would: its failures are the invoke's answers, as a log line.</summary>
    private async Task<RuleActivationResult> ActivateAsync(NamespaceKey key, string rule, FullyQualifiedEntityName actionName, RawJson arguments, ActivationId cause, CancellationToken cancellationToken)
    {
        if (EntityNames.Root(actionName) != key.Namespace)
        {
            return Failed(ActivationStatus.ApplicationError, rule, actionName, ApiErrors.Forbidden);
        }

        ResolvedAction resolved = await resolver.ResolveAsync(key.Namespace, EntityNames.ActionKey(actionName), caller: null, cancellationToken);
        if (resolved is not { Action: { } action })
        {
            return Failed(ActivationStatus.ApplicationError, rule, actionName, ApiErrors.NotFound);
        }

        if (!isEnabled())
        {
            return Failed(ActivationStatus.WhiskError, rule, actionName, ApiErrors.Disabled);
        }

        if (SequenceRunner.IsSequence(action.Spec))
        {
            // A sequence's input is the arguments alone; each component merges its own defaults. The chain runs detached.
            ActivationId sequence = ActivationId.NewId();
            _ = sequences.StartAsync(key, action, arguments, sequence);
            return Succeeded(rule, actionName, sequence);
        }

        RawJson content = InvocationContent.Merge(resolved.Parameters, arguments.Utf8, out _) ?? arguments;
        ActivationMessage message = factory.Create(action, key, content, blocking: false, cause, resolved.Binding);
        byte[] serialized = JsonModel.ToUtf8Bytes(message);
        if (serialized.Length > ActivationMessageHandler.MaxMessageBytes)
        {
            return Failed(ActivationStatus.ApplicationError, rule, actionName, ApiErrors.TooLargeWithDefaults(serialized.Length, ActivationMessageHandler.MaxMessageBytes));
        }

        await feed.EnqueueAsync(serialized, cancellationToken);
        return Succeeded(rule, actionName, message.ActivationId);
    }

    private static RuleActivationResult Succeeded(string rule, FullyQualifiedEntityName action, ActivationId id) => new()
    {
        StatusCode = (int)ActivationStatus.Success,
        Success = true,
        ActivationId = id,
        Rule = rule,
        Action = action.ToString(),
    };

    private static RuleActivationResult Failed(ActivationStatus status, string rule, FullyQualifiedEntityName action, string error) => new()
    {
        StatusCode = (int)status,
        Success = false,
        Error = error,
        Rule = rule,
        Action = action.ToString(),
    };
}
