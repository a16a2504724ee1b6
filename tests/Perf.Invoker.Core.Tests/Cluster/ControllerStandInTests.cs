using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Perf.Invoker.Tests.CouchDb;
using Perf.Invoker.Tests.Kafka;

namespace Perf.Invoker.Tests.Cluster;

/// <summary>
/// The controller stand-in over the mock broker and pouchdb-server, with the test playing the invoker: its pings on
/// <c>health</c>, its acks on <c>completed0</c>, and what it would read from <c>invoker&lt;N&gt;</c>.
/// </summary>
[Collection(KafkaCollection.Name)]
[Trait("Category", "Kafka")]
public sealed class ControllerStandInTests(KafkaMockBrokerFixture broker, CouchDbFixture couch) : IClassFixture<CouchDbFixture>
{
    [Fact]
    public async Task AFirstPing_RegistersTheInvoker_WhichIsSentOpenWhisksHealthActivation()
    {
        string prefix = broker.NewPrefix();
        await using ControllerStandIn standIn = await StartAsync(prefix, invokers: 1);

        await PingAsync(prefix, 0);

        JsonElement message = Read(prefix + "invoker0", 1)[0];
        Assert.Equal($"""["sid_invokerHealth",{standIn.HealthTransid.Start}]""", message.GetProperty("transid").GetRawText());
        Assert.Equal("""{"path":"whisk.system","name":"invokerHealthTestAction0","version":"0.0.1"}""", message.GetProperty("action").GetRawText());
        Assert.Equal(JsonValueKind.Null, message.GetProperty("revision").ValueKind);
        Assert.Equal("whisk.system", message.GetProperty("user").GetProperty("namespace").GetProperty("name").GetString());
        Assert.Equal("""{"asString":"0","instanceType":"controller"}""", message.GetProperty("rootControllerIndex").GetRawText());
        Assert.False(message.GetProperty("blocking").GetBoolean());
        Assert.False(message.TryGetProperty("content", out _));
        Assert.Equal("[]", message.GetProperty("initArgs").GetRawText());
        Assert.Equal(InvokerState.Unhealthy, standIn.StateOf(0));
    }

    [Fact]
    public async Task AHealthAck_CountsOnlyIfItEchoesTheTransidExactly()
    {
        string prefix = broker.NewPrefix();
        await using ControllerStandIn standIn = await StartAsync(prefix, invokers: 1);
        await PingAsync(prefix, 0);
        string health = Read(prefix + "invoker0", 1)[0].GetProperty("activationId").GetString()!;

        await AckAsync(prefix, $"""["sid_invokerHealth",{standIn.HealthTransid.Start + 1}]""", health, 0);
        await AckAsync(prefix, """["sid_otherTransaction",1]""", health, 0);
        await Eventually.True(() => standIn.AcksOf(health).Count == 2, "both acks read");
        Assert.Equal(InvokerState.Unhealthy, standIn.StateOf(0));

        await AckAsync(prefix, $"""["sid_invokerHealth",{standIn.HealthTransid.Start}]""", health, 0);
        await Eventually.True(() => standIn.StateOf(0) == InvokerState.Healthy, "Healthy after an exactly echoed health ack");
        Assert.Empty(standIn.Problems);
    }

    [Fact]
    public async Task AUserActivation_GoesToAHealthyInvokerOnly_WithTheRevisionTheMergedParametersAndTheInitArgs()
    {
        string prefix = broker.NewPrefix();
        await using ControllerStandIn standIn = await StartAsync(prefix, invokers: 2);
        await PingAsync(prefix, 1);
        string health = Read(prefix + "invoker1", 1)[0].GetProperty("activationId").GetString()!;
        await AckAsync(prefix, $"""["sid_invokerHealth",{standIn.HealthTransid.Start}]""", health, 1);
        await Eventually.True(() => standIn.StateOf(1) == InvokerState.Healthy, "invoker1 Healthy");
        Assert.Equal(InvokerState.Offline, standIn.StateOf(0)); // padded: it never pinged
        StoredAction action = await standIn.PutActionAsync(new WhiskActionSpec("guest/pkg", "hello", "function main(p) { return p; }", Concurrency: 5)
        {
            Parameters = [new ActionParameter("greeting", "\"hi\""), new ActionParameter("name", "\"nobody\""), new ActionParameter("secret", "\"s\"", Init: true)],
        });

        string id = standIn.Invoke(action, payload: """{"name":"you"}""", blocking: true);

        // Before it: the health activation, and the one more a success while Unhealthy sends at once.
        JsonElement message = Read(prefix + "invoker1", 3)[2];
        Assert.Equal(id, message.GetProperty("activationId").GetString());
        Assert.Equal(action.Revision, message.GetProperty("revision").GetString());
        Assert.Equal("""{"path":"guest/pkg","name":"hello","version":"0.0.1"}""", message.GetProperty("action").GetRawText());
        Assert.Equal("""{"greeting":"hi","name":"you","secret":"s"}""", message.GetProperty("content").GetRawText());
        Assert.Equal("""["secret"]""", message.GetProperty("initArgs").GetRawText());
        Assert.True(message.GetProperty("blocking").GetBoolean());
        Assert.Equal(1, standIn.InFlight);

        await AckAsync(prefix, message.GetProperty("transid").GetRawText(), id, 1);
        await Eventually.True(() => standIn.InFlight == 0, "the ack frees the slot");
        Assert.Single(standIn.AcksOf(id));
    }

    [Fact]
    public async Task AnInvokerThatStopsPinging_IsOfflineAfterTheStateTimeout()
    {
        string prefix = broker.NewPrefix();
        await using ControllerStandIn standIn = await StartAsync(prefix, invokers: 1, new SupervisionTimes(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30)));
        await PingAsync(prefix, 0);
        await Eventually.True(() => standIn.StateOf(0) == InvokerState.Unhealthy, "registered");

        await Eventually.True(() => standIn.StateOf(0) == InvokerState.Offline, "Offline once nothing was heard for 2 s");

        (InvokerState _, DateTimeOffset unhealthyAt) = standIn.TransitionsOf(0)[0];
        (InvokerState state, DateTimeOffset offlineAt) = standIn.TransitionsOf(0)[^1];
        Assert.Equal(InvokerState.Offline, state);
        Assert.True(offlineAt - unhealthyAt >= TimeSpan.FromSeconds(2));
    }

    private async Task<ControllerStandIn> StartAsync(string prefix, int invokers, SupervisionTimes? times = null) =>
        await ControllerStandIn.StartAsync(broker, prefix, couch, await couch.CreateDatabasesAsync(), times ?? SupervisionTimes.OpenWhisk, invokers);

    private async Task PingAsync(string prefix, int instance, bool enabled = true) =>
        await ProduceAsync(prefix + "health", $$$"""
            {"name":{"instance":{{{instance}}},"uniqueName":"{{{instance}}}","userMemory":"2048 MB","instanceType":"invoker","tags":[],"dedicatedNamespaces":[]},"isEnabled":{{{(enabled ? "true" : "false")}}}}
            """);

    /// <summary>A CompletionMessage, as for a non-blocking activation.</summary>
    private async Task AckAsync(string prefix, string transid, string activationId, int instance) =>
        await ProduceAsync(prefix + "completed0", $$$"""
            {"transid":{{{transid}}},"activationId":"{{{activationId}}}","isSystemError":false,"instance":{"instance":{{{instance}}},"userMemory":"2048 MB","instanceType":"invoker","tags":[],"dedicatedNamespaces":[]}}
            """);

    private async Task ProduceAsync(string topic, string json)
    {
        using IProducer<Null, byte[]> producer = KafkaTestClient.Producer(broker.BootstrapServers);
        await producer.ProduceAsync(topic, new Message<Null, byte[]> { Value = Encoding.UTF8.GetBytes(json) });
    }

    private List<JsonElement> Read(string topic, int count) =>
        [.. KafkaTestClient.ReadAll(broker.BootstrapServers, topic, count, partitions: 1).Select(r => JsonDocument.Parse(r.Message.Value).RootElement.Clone())];
}
