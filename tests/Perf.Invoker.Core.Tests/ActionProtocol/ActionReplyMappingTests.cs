using System.Text;
using Perf.Invoker.ActionProtocol;
using Perf.Invoker.Json;
using Perf.Invoker.Model;

namespace Perf.Invoker.Tests.ActionProtocol;

/// <summary>How <see cref="ActionClient"/> maps a runtime's /run reply, without a runtime (docs/openwhisk.md §5).</summary>
[Trait("Category", "Unit")]
public sealed class ActionReplyMappingTests
{
    private static string Nested(int depth) => string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);

    private static ActionResponse Map(string reply) =>
        ActionClient.MapRunReply(200, Encoding.UTF8.GetBytes(reply), isBodyTruncated: false, reply.Length, ActionClient.DefaultMaxResultLength);

    private static ActivationRecord Record(ActionResponse response) => new()
    {
        Namespace = "guest",
        Name = "hello",
        Subject = "guest",
        ActivationId = ActivationId.NewId(),
        Start = 1,
        End = 2,
        Response = response.ToActivationResponse(),
        Version = "0.0.1",
    };

    // Found by the runtime-reply fuzz harness: a reply nested 62 or more deep was a success whose record and ack were
    // written but could never be read again (a redelivery's store lookup, GET …/activations/ID).
    [Fact]
    public void AReplyNestedDeeperThanAnyJsonTheInvokerReads_IsADeveloperError()
    {
        ActionResponse response = Map(Nested(ActionClient.MaxReplyDepth + 1));

        Assert.Equal(ActivationStatus.DeveloperError, response.Status);
        Assert.StartsWith("{\"error\":\"The action did not produce a valid JSON", response.Result.ToString());
    }

    [Fact]
    public void AReplyAtTheDepthLimit_IsASuccess_WhoseRecordAndAckReadBack()
    {
        ActionResponse response = Map(Nested(ActionClient.MaxReplyDepth));
        ActivationRecord record = Record(response);
        var ack = new CombinedCompletionAndResultMessage
        {
            Transid = new TransactionId { Id = "t", StartMillis = 1 },
            Response = new AckResponse(record),
            Instance = new InvokerInstanceId { Instance = 0, UserMemory = ByteSize.FromMegabytes(256) },
        };

        Assert.Equal(ActivationStatus.Success, response.Status);
        Assert.Equal(response.Result, JsonModel.Read<ActivationRecord>(JsonModel.ToUtf8Bytes(record), ActionClient.RecordMaxDepth).Response.Result);
        Assert.Equal(record.ActivationId, JsonModel.Read<CombinedCompletionAndResultMessage>(JsonModel.ToUtf8Bytes(ack), ActionClient.AckMaxDepth).Response.ActivationId);
    }

    // Found by afl-fuzz on the runtime-reply harness ("{} " from a 200): the whitespace around the value went into the
    // record and the ack, so the result read back differed from the one written.
    [Theory]
    [InlineData("{} ", "{}")]
    [InlineData("\n\t{\"a\":1}\r\n", "{\"a\":1}")]
    [InlineData(" [1, 2] ", "[1, 2]")]
    public void WhitespaceAroundTheReply_IsNoPartOfTheResult(string reply, string result)
    {
        ActionResponse response = Map(reply);

        Assert.Equal(ActivationStatus.Success, response.Status);
        Assert.Equal(result, response.Result.ToString());
    }
}
