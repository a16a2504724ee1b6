using Perf.Invoker.Json;

namespace Perf.Invoker.Model;

/// <summary>What a controller sends an invoker on <c>invoker&lt;N&gt;</c> (docs/openwhisk.md §2). Members in OpenWhisk's order.</summary>
[JsonModel]
public sealed partial class ActivationMessage
{
    public required TransactionId Transid { get; init; }

    public required FullyQualifiedEntityName Action { get; init; }

    /// <summary>The action document's revision; OpenWhisk may send null.</summary>
    public string? Revision { get; init; }

    public required Identity User { get; init; }

    public required ActivationId ActivationId { get; init; }

    public required ControllerInstanceId RootControllerIndex { get; init; }

    public required bool Blocking { get; init; }

    /// <summary>The parameters, merged by the controller: an object or an array, passed to the action verbatim.</summary>
    public RawJson? Content { get; init; }

    /// <summary>Names of parameters that go to /init rather than /run.</summary>
    [JsonIntern]
    public string[]? InitArgs { get; init; }

    /// <summary>Encrypted parameters, kept verbatim.</summary>
    public RawJson? LockedArgs { get; init; }

    /// <summary>The activation that caused this one (a sequence or trigger).</summary>
    public ActivationId? Cause { get; init; }

    public RawJson? TraceContext { get; init; }
}

/// <summary>An action's fully qualified name: <c>{"path":"guest","name":"hello","version":"0.0.1"}</c>.</summary>
[JsonModel]
public sealed partial class FullyQualifiedEntityName
{
    [JsonIntern]
    public required string Path { get; init; }

    [JsonIntern]
    public required string Name { get; init; }

    [JsonIntern]
    public string? Version { get; init; }

    /// <summary>The package binding the action was invoked through, if any.</summary>
    [JsonIntern]
    public string? Binding { get; init; }

    /// <summary><c>path/name</c>, as annotations and the /run body's <c>action_name</c> (with a leading '/') use it.</summary>
    public override string ToString() => $"{Path}/{Name}";
}

/// <summary>Who invoked: subject, namespace, key, rights and limits (docs/openwhisk.md §2).</summary>
[JsonModel]
public sealed partial class Identity
{
    [JsonIntern]
    public required string Subject { get; init; }

    public required Namespace Namespace { get; init; }

    public required AuthKey Authkey { get; init; }

    public required Privileges Rights { get; init; }

    /// <summary>Per-user limits; the invoker does not interpret them, so they pass through verbatim.</summary>
    public required RawJson Limits { get; init; }
}

[JsonModel]
public sealed partial class Namespace
{
    [JsonIntern]
    public required string Name { get; init; }

    [JsonIntern]
    public required string Uuid { get; init; }
}

[JsonModel]
public sealed partial class AuthKey
{
    /// <summary><c>uuid:key</c>; given to the action as <c>__OW_API_KEY</c> unless it opts out.</summary>
    [JsonIntern]
    [JsonMember("api_key")]
    public string? ApiKey { get; init; }
}

/// <summary>A controller's id: <c>{"asString":"0","instanceType":"controller"}</c>; acks go to <c>completed&lt;asString&gt;</c>.</summary>
[JsonModel]
public sealed partial class ControllerInstanceId
{
    [JsonIntern]
    public required string AsString { get; init; }

    [JsonIntern]
    public string? InstanceType { get; init; }
}
