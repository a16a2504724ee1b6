using Perf.Invoker.Json;

namespace Perf.Invoker.Model;

/// <summary>
/// An action as the REST API takes it and the store keeps it (docs/openwhisk.md §7):
/// <c>{"exec":{…},"limits":{…},"parameters":[…],"annotations":[…]}</c>.
/// </summary>
[JsonModel]
public sealed partial class ActionSpec
{
    [JsonIntern]
    public string? Namespace { get; init; }

    [JsonIntern]
    public string? Name { get; init; }

    public required ActionExec Exec { get; init; }

    public ActionLimits? Limits { get; init; }

    public Parameter[]? Parameters { get; init; }

    public Parameter[]? Annotations { get; init; }

    public bool? Publish { get; init; }

    [JsonIntern]
    public string? Version { get; init; }

    /// <summary>
    /// The annotation <c>max-concurrent</c> (the seed's proposal, same meaning as limits.concurrency)
    /// when it is a positive integer; null when absent or not a number.
    /// </summary>
    public int? MaxConcurrentAnnotation
    {
        get
        {
            foreach (Parameter annotation in Annotations ?? [])
            {
                if (annotation.Key == "max-concurrent")
                {
                    return System.Buffers.Text.Utf8Parser.TryParse(annotation.Value.Utf8.Span, out int value, out int consumed)
                        && consumed == annotation.Value.Utf8.Length && value > 0 ? value : null;
                }
            }

            return null;
        }
    }

    /// <summary>The action's concurrency: limits.concurrency, else the max-concurrent annotation, else 1.</summary>
    public int Concurrency => Limits?.Concurrency ?? MaxConcurrentAnnotation ?? 1;
}

/// <summary>What runs: a kind (runtime), its code and entry point, a docker image, or a sequence's components.</summary>
[JsonModel]
public sealed partial class ActionExec
{
    /// <summary><c>nodejs:20</c>, <c>nodejs:default</c>, <c>blackbox</c>, …</summary>
    [JsonIntern]
    public required string Kind { get; init; }

    public string? Code { get; init; }

    [JsonIntern]
    public string? Main { get; init; }

    public bool? Binary { get; init; }

    [JsonIntern]
    public string? Image { get; init; }

    /// <summary>A sequence's actions (kind <c>sequence</c>), fully qualified: <c>/namespace/name</c> or <c>/namespace/package/name</c>.</summary>
    public string[]? Components { get; init; }
}

/// <summary>An action's limits; units: timeout ms, memory MB, logs MB (docs/openwhisk.md §7).</summary>
[JsonModel]
public sealed partial class ActionLimits
{
    public int? Timeout { get; init; }

    public int? Memory { get; init; }

    public int? Logs { get; init; }

    public int? Concurrency { get; init; }
}
