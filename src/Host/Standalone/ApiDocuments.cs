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

/// <summary><c>GET …/activations/{id}/result</c>: the response with OpenWhisk's status words, <c>{"result":…,"status":"success","success":true}</c>.</summary>
[JsonModel]
internal sealed partial class ActivationResultDocument
{
    public RawJson? Result { get; init; }

    public int? Size { get; init; }

    public required string Status { get; init; }

    public required bool Success { get; init; }

    public static ActivationResultDocument Of(ActivationResponse response) => new()
    {
        Result = response.Result,
        Size = response.Size,
        Status = response.Status switch
        {
            ActivationStatus.Success => "success",
            ActivationStatus.ApplicationError => "application error",
            ActivationStatus.DeveloperError => "action developer error",
            _ => "whisk internal error",
        },
        Success = response.IsSuccess,
    };
}
