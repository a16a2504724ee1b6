using System.Text.Json;
using System.Text.Json.Serialization;

// The baseline: the same wire model written the way a System.Text.Json user would write it, with
// source generation (a JsonSerializerContext) and JsonElement for the free-form members. Shared with
// the tests, which check that both read and write the same data.
namespace Perf.Invoker.Benchmarks.Json.Stj;

public sealed class StjActivationMessage
{
    [JsonPropertyName("transid")] public required JsonElement Transid { get; init; }
    [JsonPropertyName("action")] public required StjEntityName Action { get; init; }
    [JsonPropertyName("revision")] public string? Revision { get; init; }
    [JsonPropertyName("user")] public required StjIdentity User { get; init; }
    [JsonPropertyName("activationId")] public required string ActivationId { get; init; }
    [JsonPropertyName("rootControllerIndex")] public required StjControllerInstanceId RootControllerIndex { get; init; }
    [JsonPropertyName("blocking")] public required bool Blocking { get; init; }
    [JsonPropertyName("content")] public JsonElement? Content { get; init; }
    [JsonPropertyName("initArgs")] public List<string>? InitArgs { get; init; }
    [JsonPropertyName("lockedArgs")] public JsonElement? LockedArgs { get; init; }
    [JsonPropertyName("cause")] public string? Cause { get; init; }
    [JsonPropertyName("traceContext")] public JsonElement? TraceContext { get; init; }
}

public sealed class StjEntityName
{
    [JsonPropertyName("path")] public required string Path { get; init; }
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("version")] public string? Version { get; init; }
    [JsonPropertyName("binding")] public string? Binding { get; init; }
}

public sealed class StjIdentity
{
    [JsonPropertyName("subject")] public required string Subject { get; init; }
    [JsonPropertyName("namespace")] public required StjNamespace Namespace { get; init; }
    [JsonPropertyName("authkey")] public required StjAuthKey Authkey { get; init; }
    [JsonPropertyName("rights")] public required List<string> Rights { get; init; }
    [JsonPropertyName("limits")] public required JsonElement Limits { get; init; }
}

public sealed class StjNamespace
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("uuid")] public required string Uuid { get; init; }
}

public sealed class StjAuthKey
{
    [JsonPropertyName("api_key")] public string? ApiKey { get; init; }
}

public sealed class StjControllerInstanceId
{
    [JsonPropertyName("asString")] public required string AsString { get; init; }
    [JsonPropertyName("instanceType")] public string? InstanceType { get; init; }
}

public sealed class StjInvokerInstanceId
{
    [JsonPropertyName("instance")] public required int Instance { get; init; }
    [JsonPropertyName("uniqueName")] public string? UniqueName { get; init; }
    [JsonPropertyName("displayedName")] public string? DisplayedName { get; init; }
    [JsonPropertyName("userMemory")] public required string UserMemory { get; init; }
    [JsonPropertyName("instanceType")] public string InstanceType { get; init; } = "invoker";
    [JsonPropertyName("tags")] public List<string> Tags { get; init; } = [];
    [JsonPropertyName("dedicatedNamespaces")] public List<string> DedicatedNamespaces { get; init; } = [];
}

public sealed class StjRunRequest
{
    [JsonPropertyName("value")] public required JsonElement Value { get; init; }
    [JsonPropertyName("namespace")] public required string Namespace { get; init; }
    [JsonPropertyName("action_name")] public required string ActionName { get; init; }
    [JsonPropertyName("action_version")] public required string ActionVersion { get; init; }
    [JsonPropertyName("activation_id")] public required string ActivationId { get; init; }
    [JsonPropertyName("transaction_id")] public required string TransactionId { get; init; }
    [JsonPropertyName("deadline")] public required string Deadline { get; init; }
    [JsonPropertyName("api_key")] public string? ApiKey { get; init; }
}

public sealed class StjActivationRecord
{
    [JsonPropertyName("namespace")] public required string Namespace { get; init; }
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("subject")] public required string Subject { get; init; }
    [JsonPropertyName("activationId")] public required string ActivationId { get; init; }
    [JsonPropertyName("start")] public required long Start { get; init; }
    [JsonPropertyName("end")] public required long End { get; init; }
    [JsonPropertyName("cause")] public string? Cause { get; init; }
    [JsonPropertyName("response")] public required StjActivationResponse Response { get; init; }
    [JsonPropertyName("logs")] public List<string> Logs { get; init; } = [];
    [JsonPropertyName("version")] public required string Version { get; init; }
    [JsonPropertyName("publish")] public bool Publish { get; init; }
    [JsonPropertyName("annotations")] public List<StjParameter> Annotations { get; init; } = [];
    [JsonPropertyName("duration")] public long? Duration { get; init; }
}

public sealed class StjActivationResponse
{
    [JsonPropertyName("statusCode")] public required int StatusCode { get; init; }
    [JsonPropertyName("result")] public JsonElement? Result { get; init; }
    [JsonPropertyName("size")] public int? Size { get; init; }
}

public sealed class StjParameter
{
    [JsonPropertyName("key")] public required string Key { get; init; }
    [JsonPropertyName("value")] public required JsonElement Value { get; init; }
}

public sealed class StjCombinedMessage
{
    [JsonPropertyName("transid")] public required JsonElement Transid { get; init; }
    [JsonPropertyName("response")] public required StjActivationRecord Response { get; init; }
    [JsonPropertyName("isSystemError")] public bool? IsSystemError { get; init; }
    [JsonPropertyName("instance")] public required StjInvokerInstanceId Instance { get; init; }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StjActivationMessage))]
[JsonSerializable(typeof(StjRunRequest))]
[JsonSerializable(typeof(StjCombinedMessage))]
public sealed partial class StjContext : JsonSerializerContext;
