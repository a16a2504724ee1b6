using Perf.Invoker.Json;

namespace Perf.Invoker.Model;

/// <summary>
/// A rule as the store keeps it (OpenWhisk's WhiskRule less its namespace and name, which are the row's key): the
/// trigger it subscribes to and the action it fires, both fully qualified. Its status lives in the trigger's document
/// (<see cref="TriggerSpec.Rules"/>), as in OpenWhisk.
/// </summary>
[JsonModel]
public sealed partial class RuleSpec
{
    public required FullyQualifiedEntityName Trigger { get; init; }

    public required FullyQualifiedEntityName Action { get; init; }

    [JsonIntern]
    public required string Version { get; init; }

    public bool Publish { get; init; }

    public Parameter[] Annotations { get; init; } = [];
}
