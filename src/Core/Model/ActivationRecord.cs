using Perf.Invoker.Json;

namespace Perf.Invoker.Model;

/// <summary>The stored result of one activation, OpenWhisk's WhiskActivation (docs/openwhisk.md §4). Members in OpenWhisk's order.</summary>
[JsonModel]
public sealed partial class ActivationRecord
{
    [JsonIntern]
    public required string Namespace { get; init; }

    [JsonIntern]
    public required string Name { get; init; }

    [JsonIntern]
    public required string Subject { get; init; }

    public required ActivationId ActivationId { get; init; }

    /// <summary>Epoch milliseconds.</summary>
    public required long Start { get; init; }

    /// <summary>Epoch milliseconds.</summary>
    public required long End { get; init; }

    public ActivationId? Cause { get; init; }

    public required ActivationResponse Response { get; init; }

    public string[] Logs { get; init; } = [];

    [JsonIntern]
    public required string Version { get; init; }

    public bool Publish { get; init; }

    public Parameter[] Annotations { get; init; } = [];

    /// <summary>Milliseconds from start to end.</summary>
    public long? Duration { get; init; }
}

/// <summary>An activation's outcome: <c>{"statusCode":0,"result":{…}}</c>.</summary>
[JsonModel]
public sealed partial class ActivationResponse
{
    /// <summary>One of <see cref="ActivationStatus"/>, as a number on the wire.</summary>
    public required int StatusCode { get; init; }

    /// <summary>The action's JSON result or the error object, verbatim.</summary>
    public RawJson? Result { get; init; }

    /// <summary>The result's size in bytes, when it was truncated or not kept.</summary>
    public int? Size { get; init; }

    public ActivationStatus Status => (ActivationStatus)StatusCode;

    public bool IsSuccess => StatusCode == (int)ActivationStatus.Success;

    /// <summary>True for a whisk internal error, which the ack reports as <c>isSystemError</c>.</summary>
    public bool IsWhiskError => StatusCode == (int)ActivationStatus.WhiskError;
}

/// <summary>The status codes of docs/openwhisk.md §4.</summary>
public enum ActivationStatus
{
    /// <summary>HTTP 200 on a blocking invoke.</summary>
    Success = 0,

    /// <summary>The action returned an error; the container is kept. HTTP 502.</summary>
    ApplicationError = 1,

    /// <summary>Init or run failed, timed out, crashed or answered nonsense; the container is destroyed. HTTP 502.</summary>
    DeveloperError = 2,

    /// <summary>The platform failed; the container is destroyed. HTTP 500.</summary>
    WhiskError = 3,
}

/// <summary>A key and a JSON value: OpenWhisk's parameters and annotations are arrays of these.</summary>
[JsonModel]
public sealed partial class Parameter
{
    [JsonIntern]
    public required string Key { get; init; }

    public required RawJson Value { get; init; }
}
