using Perf.Invoker.Json;

namespace Perf.Invoker.Model;

/// <summary>The /init body: <c>{"value":{"name":…,"main":…,"binary":…,"code":…,"env":{…}}}</c> (docs/openwhisk.md §5).</summary>
[JsonModel]
public sealed partial class InitRequest
{
    public required InitPayload Value { get; init; }
}

[JsonModel]
public sealed partial class InitPayload
{
    public required string Name { get; init; }

    public required string Main { get; init; }

    public required bool Binary { get; init; }

    /// <summary>Source text, or base64 of a zip when <see cref="Binary"/>.</summary>
    public required string Code { get; init; }

    public required EnvironmentVariables Env { get; init; }
}

/// <summary>
/// The /run body (docs/openwhisk.md §5). Every top-level string member reaches the action as
/// <c>__OW_&lt;NAME&gt;</c>; the runtime gives each concurrent activation its own.
/// </summary>
[JsonModel]
public sealed partial class RunRequest
{
    /// <summary>The activation's parameters, verbatim.</summary>
    public required RawJson Value { get; init; }

    [JsonIntern]
    public required string Namespace { get; init; }

    /// <summary><c>/namespace/package/action</c>.</summary>
    [JsonIntern]
    [JsonMember("action_name")]
    public required string ActionName { get; init; }

    [JsonIntern]
    [JsonMember("action_version")]
    public required string ActionVersion { get; init; }

    [JsonMember("activation_id")]
    public required ActivationId ActivationId { get; init; }

    [JsonMember("transaction_id")]
    public required string TransactionId { get; init; }

    /// <summary>When the action's time limit runs out, epoch milliseconds as a string.</summary>
    public required EpochMillisString Deadline { get; init; }

    /// <summary>Absent when the action has the annotation <c>provide-api-key: false</c>.</summary>
    [JsonIntern]
    [JsonMember("api_key")]
    public string? ApiKey { get; init; }
}
