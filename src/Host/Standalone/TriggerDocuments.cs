using Perf.Invoker.Json;
using Perf.Invoker.Model;

namespace Perf.Invoker.Host.Standalone;

/// <summary>A trigger as OpenWhisk's controller shows it (WhiskTrigger): its rules only once a rule was ever linked.</summary>
[JsonModel]
internal sealed partial class TriggerDocument
{
    public required string Namespace { get; init; }

    public required string Name { get; init; }

    public required Parameter[] Parameters { get; init; }

    public required RawJson Limits { get; init; }

    public required string Version { get; init; }

    public required bool Publish { get; init; }

    public required Parameter[] Annotations { get; init; }

    public TriggerRules? Rules { get; init; }
}

/// <summary>A trigger in a list (OpenWhisk's view of the collection): no parameters, limits or rules, with its last change.</summary>
[JsonModel]
internal sealed partial class TriggerSummary
{
    public required string Namespace { get; init; }

    public required string Name { get; init; }

    public required string Version { get; init; }

    public required bool Publish { get; init; }

    public required Parameter[] Annotations { get; init; }

    public required long Updated { get; init; }
}

/// <summary>A rule as OpenWhisk's controller shows one (WhiskRuleResponse): with its status, read from its trigger.</summary>
[JsonModel]
internal sealed partial class RuleDocument
{
    public required string Namespace { get; init; }

    public required string Name { get; init; }

    public required string Status { get; init; }

    public required FullyQualifiedEntityName Trigger { get; init; }

    public required FullyQualifiedEntityName Action { get; init; }

    public required string Version { get; init; }

    public required bool Publish { get; init; }

    public required Parameter[] Annotations { get; init; }

    public required long Updated { get; init; }
}

/// <summary>A rule in a list (OpenWhisk's WhiskRule document): no status, which lives in the trigger.</summary>
[JsonModel]
internal sealed partial class RuleSummary
{
    public required string Namespace { get; init; }

    public required string Name { get; init; }

    public required FullyQualifiedEntityName Trigger { get; init; }

    public required FullyQualifiedEntityName Action { get; init; }

    public required string Version { get; init; }

    public required bool Publish { get; init; }

    public required Parameter[] Annotations { get; init; }

    public required long Updated { get; init; }
}

/// <summary>
/// The body of <c>PUT …/rules/{name}</c> (OpenWhisk's WhiskRulePut); the trigger and action are fully qualified names,
/// as a string (<c>/guest/T</c>) or an object (<c>{"path":"guest","name":"T"}</c>), so they are read raw and parsed by <see cref="EntityNames"/>.
/// </summary>
[JsonModel]
internal sealed partial class RulePut
{
    public RawJson? Trigger { get; init; }

    public RawJson? Action { get; init; }

    public string? Version { get; init; }

    public bool? Publish { get; init; }

    public Parameter[]? Annotations { get; init; }
}

/// <summary>One line of a trigger activation's logs: what firing one rule did (OpenWhisk's RuleActivationResult).</summary>
[JsonModel]
internal sealed partial class RuleActivationResult
{
    public required int StatusCode { get; init; }

    public required bool Success { get; init; }

    public ActivationId? ActivationId { get; init; }

    public string? Error { get; init; }

    public required string Rule { get; init; }

    public required string Action { get; init; }
}
