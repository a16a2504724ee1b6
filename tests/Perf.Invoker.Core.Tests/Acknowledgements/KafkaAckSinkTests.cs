using Confluent.Kafka;
using Perf.Invoker.Acknowledgements;
using Perf.Invoker.Json;
using Perf.Invoker.Kafka;
using Perf.Invoker.Model;
using Perf.Invoker.Tests.Kafka;

namespace Perf.Invoker.Tests.Acknowledgements;

[Collection(KafkaCollection.Name)]
[Trait("Category", "Kafka")]
public sealed class KafkaAckSinkTests(KafkaMockBrokerFixture broker)
{
    private static readonly ControllerInstanceId s_controller = new() { AsString = "0", InstanceType = "controller" };

    internal static readonly InvokerInstanceId Invoker = new() { Instance = 0, UniqueName = "inv0", UserMemory = ByteSize.FromMegabytes(2048) };

    [Fact]
    public async Task AckSink_Blocking_SendsOneCombinedMessageOnCompletedTopic()
    {
        var options = Options();
        using var producer = new KafkaProducer(options);
        var sink = new KafkaAckSink(producer);
        ActivationRecord record = Record(result: """{"hello":"world"}""");

        await sink.SendCombinedAsync(s_controller, Combined(record), CancellationToken.None);

        var message = Assert.Single(KafkaTestClient.ReadAll(broker.BootstrapServers, options.TopicPrefix + "completed0", 1));
        var combined = JsonModel.Read<CombinedCompletionAndResultMessage>(message.Message.Value);
        Assert.NotNull(combined.Response.Record);
        Assert.Equal(record.ActivationId, combined.Response.ActivationId);
        Assert.Equal("""{"hello":"world"}""", combined.Response.Record.Response.Result.ToString());
        Assert.Equal(0, combined.Instance.Instance);
        Assert.Equal(0, sink.ShrunkCount);
    }

    [Fact]
    public async Task AckSink_NonBlocking_SendsCompletionMessageOnTheControllersTopic()
    {
        var options = Options();
        using var producer = new KafkaProducer(options);
        var sink = new KafkaAckSink(producer);
        var id = ActivationId.NewId();
        var controller = new ControllerInstanceId { AsString = "7", InstanceType = "controller" };

        await sink.SendCompletionAsync(controller, new CompletionMessage { Transid = Transid(), ActivationId = id, IsSystemError = false, Instance = Invoker }, CancellationToken.None);

        var message = Assert.Single(KafkaTestClient.ReadAll(broker.BootstrapServers, options.TopicPrefix + "completed7", 1));
        string json = System.Text.Encoding.UTF8.GetString(message.Message.Value);
        Assert.DoesNotContain("\"response\"", json, StringComparison.Ordinal);
        var completion = JsonModel.Read<CompletionMessage>(message.Message.Value);
        Assert.Equal(id, completion.ActivationId);
        Assert.False(completion.IsSystemError);
    }

    [Fact]
    public async Task AckSink_CombinedOverTheMessageLimit_IsSentWithResponseShrunkToTheActivationId()
    {
        var options = Options();
        using var producer = new KafkaProducer(options);
        var sink = new KafkaAckSink(producer);
        // A result of just over 1 MiB + 6 KiB once quoted: the whole message is over the limit.
        ActivationRecord record = Record(result: "{\"big\":\"" + new string('x', KafkaOptions.DefaultMaxMessageBytes) + "\"}");

        await sink.SendCombinedAsync(s_controller, Combined(record, isSystemError: true), CancellationToken.None);

        var message = Assert.Single(KafkaTestClient.ReadAll(broker.BootstrapServers, options.TopicPrefix + "completed0", 1));
        Assert.True(message.Message.Value.Length < 1024);
        var combined = JsonModel.Read<CombinedCompletionAndResultMessage>(message.Message.Value);
        Assert.Null(combined.Response.Record);
        Assert.Equal(record.ActivationId, combined.Response.ActivationId);
        Assert.True(combined.IsSystemError);
        Assert.Equal(1, sink.ShrunkCount);
    }

    [Fact]
    public async Task AckSink_DeliveryFailure_FaultsTheSend()
    {
        // Port 1 on loopback: nothing listens, so the message times out in librdkafka's queue.
        var options = new KafkaOptions
        {
            BootstrapServers = "127.0.0.1:1",
            Extra = new Dictionary<string, string> { ["message.timeout.ms"] = "300" },
        };
        using var producer = new KafkaProducer(options);
        var sink = new KafkaAckSink(producer);

        var error = await Assert.ThrowsAsync<ProduceException<Null, byte[]>>(async () =>
            await sink.SendCombinedAsync(s_controller, Combined(Record("{}")), CancellationToken.None));
        Assert.Equal(ErrorCode.Local_MsgTimedOut, error.Error.Code);
    }

    private KafkaOptions Options() => new() { BootstrapServers = broker.BootstrapServers, TopicPrefix = broker.NewPrefix() };

    private static CombinedCompletionAndResultMessage Combined(ActivationRecord record, bool isSystemError = false) => new()
    {
        Transid = Transid(),
        Response = new AckResponse(record),
        IsSystemError = isSystemError,
        Instance = Invoker,
    };

    private static TransactionId Transid() => new() { Id = "tid_1", StartMillis = 1717171717171 };

    private static ActivationRecord Record(string result) => new()
    {
        Namespace = "guest",
        Name = "hello",
        Subject = "guest",
        ActivationId = ActivationId.NewId(),
        Start = 1717171717171,
        End = 1717171717180,
        Response = new ActivationResponse { StatusCode = 0, Result = RawJson.Parse(result) },
        Version = "0.0.1",
        Duration = 9,
    };
}
