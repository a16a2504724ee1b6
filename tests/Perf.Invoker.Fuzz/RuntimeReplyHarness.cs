using Perf.Invoker.ActionProtocol;
using Perf.Invoker.Json;
using Perf.Invoker.Model;

namespace Perf.Invoker.Fuzz;

/// <summary>
/// A runtime's answer to /run and /init as <see cref="ActionClient"/> maps it (src/Core/ActionProtocol, read with the
/// generated RuntimeReply reader). Input: one byte for the status (below 128: 200; else 400 + the rest), one for the
/// result limit (below 128: that many times 16 bytes; else 1 MiB), then the body. The body is cut at the limit plus one
/// byte, as the transport's cap cuts it. The mapping must give a result that is one JSON value and an error object
/// unless it is a success of a 200, and the record and the blocking ack that carry it must read back.
/// </summary>
public static class RuntimeReplyHarness
{
    private static readonly ActivationId s_id = ActivationId.NewId();

    private static readonly Parameter[] s_annotations =
    [
        new() { Key = "path", Value = RawJson.FromString("guest/hello") },
        new() { Key = "kind", Value = RawJson.FromString("nodejs:20") },
    ];

    public static void Run(ReadOnlyMemory<byte> input)
    {
        if (input.Length < 2)
        {
            return;
        }

        int status = input.Span[0] < 128 ? 200 : 400 + (input.Span[0] - 128);
        int maxResult = input.Span[1] < 128 ? input.Span[1] * 16 : ActionClient.DefaultMaxResultLength;
        ReadOnlySpan<byte> reply = input.Span[2..];
        bool truncated = reply.Length > maxResult + 1;
        ReadOnlySpan<byte> received = truncated ? reply[..(maxResult + 1)] : reply;

        ActionResponse run = ActionClient.MapRunReply(status, received, truncated, reply.Length, maxResult);
        Check(run, status);
        ContractViolation.Unless(!truncated || run.Status == ActivationStatus.ApplicationError, "a truncated reply that is not an application error");

        ActionResponse init = ActionClient.MapInitFailure(received);
        ContractViolation.Unless(init.Status == ActivationStatus.DeveloperError, $"a failed /init with status {init.Status}");
        Check(init, 0);
    }

    private static void Check(ActionResponse response, int httpStatus)
    {
        ContractViolation.Unless(Enum.IsDefined(response.Status), $"status {response.Status}");
        RawJson result = response.Result;
        ContractViolation.Unless(!result.IsEmpty, "no result");
        ContractViolation.Unless(JsonContract.TryRead(result.Utf8, out RawJson _), $"the result is not one JSON value: {result}");
        if (response.Status == ActivationStatus.Success)
        {
            ContractViolation.Unless(httpStatus == 200, $"a success from a {httpStatus}");
        }
        else
        {
            ContractViolation.Unless(result.Utf8.Span.StartsWith("{\"error\":"u8), $"a {response.Status} without an error object: {result}");
        }

        var record = new ActivationRecord
        {
            Namespace = "guest",
            Name = "hello",
            Subject = "guest",
            ActivationId = s_id,
            Start = 1,
            End = 2,
            Response = response.ToActivationResponse(),
            Version = "0.0.1",
            Annotations = s_annotations,
            Duration = 1,
        };
        JsonContract.RoundTrips(record, ActionClient.RecordMaxDepth);
        // The user event (OpenWhisk's EventMessage) reads the result for a statusCode.
        ContractViolation.Unless(EventMessage.ForActivation(record, "invoker0", "fuzz", 1) is not null, "no user event for a record with a path and a kind");
        JsonContract.RoundTrips(new CombinedCompletionAndResultMessage
        {
            Transid = new TransactionId { Id = "fuzz", StartMillis = 1 },
            Response = new AckResponse(record),
            IsSystemError = false,
            Instance = new InvokerInstanceId { Instance = 0, UserMemory = ByteSize.FromMegabytes(2048) },
        }, ActionClient.AckMaxDepth);
    }
}
