using Perf.Invoker.Json;
using Perf.Invoker.Model;

namespace Perf.Invoker.Host.Standalone;

/// <summary>OpenWhisk's error body: <c>{"error":"…","code":"…"}</c>; the code identifies the request in the invoker's log.</summary>
[JsonModel]
internal sealed partial class ErrorDocument
{
    public required string Error { get; init; }

    public required string Code { get; init; }
}

/// <summary>The answer of a non-blocking invoke, or of a blocking one that outlasted its wait: <c>{"activationId":"…"}</c>.</summary>
[JsonModel]
internal sealed partial class ActivationIdDocument
{
    public required ActivationId ActivationId { get; init; }
}

/// <summary><c>GET …/activations/{id}/logs</c>: <c>{"logs":[…]}</c>.</summary>
[JsonModel]
internal sealed partial class ActivationLogsDocument
{
    public required string[] Logs { get; init; }
}

/// <summary>
/// An activation record as the REST API shows it (OpenWhisk's extended JSON): the stored record with its
/// response carrying OpenWhisk's status words and a success flag besides the status code.
/// </summary>
[JsonModel]
internal sealed partial class ActivationDocument
{
    public required string Namespace { get; init; }

    public required string Name { get; init; }

    public required string Subject { get; init; }

    public required ActivationId ActivationId { get; init; }

    public required long Start { get; init; }

    public required long End { get; init; }

    public ActivationId? Cause { get; init; }

    public required ResponseDocument Response { get; init; }

    public required string[] Logs { get; init; }

    public required string Version { get; init; }

    public required bool Publish { get; init; }

    public required Parameter[] Annotations { get; init; }

    public long? Duration { get; init; }

    public static ActivationDocument Of(ActivationRecord record) => new()
    {
        Namespace = record.Namespace,
        Name = record.Name,
        Subject = record.Subject,
        ActivationId = record.ActivationId,
        Start = record.Start,
        End = record.End,
        Cause = record.Cause,
        Response = ResponseDocument.Of(record.Response),
        Logs = record.Logs,
        Version = record.Version,
        Publish = record.Publish,
        Annotations = record.Annotations,
        Duration = record.Duration,
    };
}

/// <summary>
/// An activation's response as the REST API shows it, also alone at <c>GET …/activations/{id}/result</c>:
/// <c>{"statusCode":0,"status":"success","success":true,"result":…}</c>.
/// </summary>
[JsonModel]
internal sealed partial class ResponseDocument
{
    public required int StatusCode { get; init; }

    public required string Status { get; init; }

    public required bool Success { get; init; }

    public RawJson? Result { get; init; }

    public int? Size { get; init; }

    public static ResponseDocument Of(ActivationResponse response) => new()
    {
        StatusCode = response.StatusCode,
        Status = response.Status switch
        {
            ActivationStatus.Success => "success",
            ActivationStatus.ApplicationError => "application error",
            ActivationStatus.DeveloperError => "action developer error",
            _ => "whisk internal error",
        },
        Success = response.IsSuccess,
        Result = response.Result,
        Size = response.Size,
    };
}

/// <summary>
/// An activation in a list without <c>docs=true</c>: OpenWhisk's activation view summary, without response and logs
/// but with the status code (once it ended).
/// </summary>
[JsonModel]
internal sealed partial class ActivationSummaryDocument
{
    public required string Namespace { get; init; }

    public required string Name { get; init; }

    public required string Version { get; init; }

    public required bool Publish { get; init; }

    public required Parameter[] Annotations { get; init; }

    public required ActivationId ActivationId { get; init; }

    public required long Start { get; init; }

    public long? End { get; init; }

    public long? Duration { get; init; }

    public ActivationId? Cause { get; init; }

    public int? StatusCode { get; init; }

    public static ActivationSummaryDocument Of(ActivationRecord record) => new()
    {
        Namespace = record.Namespace,
        Name = record.Name,
        Version = record.Version,
        Publish = record.Publish,
        Annotations = record.Annotations,
        ActivationId = record.ActivationId,
        Start = record.Start,
        End = record.End != 0 ? record.End : null,
        Duration = record.End != 0 ? record.End - record.Start : null,
        Cause = record.Cause,
        StatusCode = record.End != 0 ? record.Response.StatusCode : null,
    };
}
