using System.Text;
using Perf.Invoker.Invocation;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Pool;
using Perf.Invoker.Tests.Pool;

namespace Perf.Invoker.Tests.Invocation;

[Trait("Category", "Unit")]
public sealed class ActivationMessageHandlerTests : IAsyncLifetime
{
    private readonly ScriptedContainerFactory _factory = new();
    private readonly RecordingSinks _sinks = new();
    private readonly List<string> _reports = [];
    private ContainerPool _pool = null!;
    private ActivationMessageHandler _handler = null!;
    private ExecutableAction? _action = Activations.Action("function main() { return {}; }");

    public Task InitializeAsync()
    {
        _pool = new ContainerPool(_factory, new ContainerPoolOptions { UserMemoryMegabytes = 1024 });
        var invoker = new ActivationInvoker(_pool, _sinks, _sinks, new InvokerInstanceId { Instance = 0, UserMemory = ByteSize.FromMegabytes(1024) });
        _handler = new ActivationMessageHandler(invoker, _sinks, (_, _) => ValueTask.FromResult(_action), _reports.Add);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _pool.DisposeAsync();
        await _factory.DisposeAsync();
    }

    private static byte[] Bytes(ActivationMessage message) => JsonModel.ToUtf8Bytes(message);

    [Fact]
    public async Task ValidMessage_IsInvoked_AndAcknowledgedOnce()
    {
        ActivationMessage message = Activations.Message();

        await _handler.HandleAsync(Bytes(message));

        Assert.Equal((int)ActivationStatus.Success, _sinks.Records[message.ActivationId].Response.StatusCode);
        _sinks.AssertExactlyOneAckPerRecord();
    }

    [Fact]
    public async Task RedeliveredMessage_IsAcknowledgedAgain_NotRunAgain()
    {
        byte[] message = Bytes(Activations.Message());

        await _handler.HandleAsync(message);
        await _handler.HandleAsync(message);

        Assert.Equal(1, Assert.Single(_factory.Created).RunCount);
        Assert.Single(_sinks.Records);
        Assert.Equal(2, _sinks.Acks.Count);
    }

    [Fact]
    public async Task AMessageNoPredecessorCanHaveHandled_IsNotLookedUpInTheStore()
    {
        ActivationMessage message = Activations.Message();

        await _handler.HandleAsync(Bytes(message), mayBeRedelivered: false);

        Assert.Equal(0, _sinks.Finds);
        Assert.Single(_sinks.Records);
        _sinks.AssertExactlyOneAckPerRecord();
    }

    [Fact]
    public async Task AMessageThatMayBeRedelivered_IsLookedUpOnce()
    {
        await _handler.HandleAsync(Bytes(Activations.Message()), mayBeRedelivered: true);

        Assert.Equal(1, _sinks.Finds);
    }

    [Fact]
    public async Task ASequencesComponent_InvokedThroughABinding_IsAnnotatedCausedByAndBinding()
    {
        ActivationMessage plain = Activations.Message();
        var message = new ActivationMessage
        {
            Transid = plain.Transid,
            Action = new FullyQualifiedEntityName { Path = "guest", Name = "hello", Version = "0.0.1", Binding = "guest/mybinding" },
            User = plain.User,
            ActivationId = plain.ActivationId,
            RootControllerIndex = plain.RootControllerIndex,
            Blocking = false,
            Content = plain.Content,
            Cause = ActivationId.NewId(),
        };

        await _handler.HandleAsync(Bytes(message));

        ActivationRecord record = _sinks.Records[message.ActivationId];
        Assert.Equal(message.Cause, record.Cause);
        Dictionary<string, string> annotations = record.Annotations.ToDictionary(a => a.Key, a => a.Value.ToString());
        Assert.Equal("\"sequence\"", annotations["causedBy"]);
        Assert.Equal("\"guest/mybinding\"", annotations["binding"]);
        Assert.Equal(["limits", "path", "kind", "timeout", "causedBy", "initTime", "waitTime", "binding"], record.Annotations.Select(a => a.Key));
    }

    [Fact]
    public async Task AnActivationWithoutCauseOrBinding_HasNeitherAnnotation()
    {
        ActivationMessage message = Activations.Message();

        await _handler.HandleAsync(Bytes(message));

        Assert.DoesNotContain(_sinks.Records[message.ActivationId].Annotations, a => a.Key is "causedBy" or "binding");
    }

    [Fact]
    public async Task MissingAction_IsAWhiskError_WithOpenWhisksMessage()
    {
        _action = null;
        ActivationMessage message = Activations.Message();

        await _handler.HandleAsync(Bytes(message));

        ActivationRecord record = _sinks.Records[message.ActivationId];
        Assert.Equal((int)ActivationStatus.WhiskError, record.Response.StatusCode);
        Assert.Equal("""{"error":"Action could not be found or may have been deleted."}""", record.Response.Result.ToString());
        Assert.Empty(_factory.Created);
    }

    [Theory]
    [InlineData("\"blocking\":true", "\"blocking\":\"yes\"", "Member 'blocking'")]
    [InlineData("\"subject\":\"guest\",", "", "Required member 'subject' is missing")]
    [InlineData("\"content\":{}", "\"content\":{\"a\":1,\"a\":2}", "")]
    public async Task MalformedMessage_WithAReadableId_IsAcknowledgedAsAWhiskError(string original, string replacement, string reason)
    {
        ActivationMessage message = Activations.Message();
        string json = Encoding.UTF8.GetString(Bytes(message)).Replace(original, replacement);

        await _handler.HandleAsync(Encoding.UTF8.GetBytes(json));

        if (reason.Length == 0)
        {
            // Duplicate keys inside raw content are the action's business: the message is valid.
            Assert.Equal((int)ActivationStatus.Success, _sinks.Records[message.ActivationId].Response.StatusCode);
            return;
        }

        ActivationRecord record = _sinks.Records[message.ActivationId];
        Assert.Equal((int)ActivationStatus.WhiskError, record.Response.StatusCode);
        Assert.Contains("The activation message could not be read: ", record.Response.Result.ToString());
        Assert.Contains(reason, record.Response.Result.ToString());
        _sinks.AssertExactlyOneAckPerRecord();
        Assert.Empty(_factory.Created);
    }

    [Fact]
    public async Task TwoMebibytePayload_IsAcknowledgedAsAWhiskError()
    {
        ActivationMessage message = Activations.Message($$"""{"big":"{{new string('x', 2 << 20)}}"}""");

        await _handler.HandleAsync(Bytes(message));

        Assert.Contains("the limit is", _sinks.Records[message.ActivationId].Response.Result.ToString());
        _sinks.AssertExactlyOneAckPerRecord();
    }

    [Fact]
    public async Task MessageWithAPayloadNestedDeeperThanMessagesAreRead_IsAcknowledgedAsAWhiskError()
    {
        ActivationMessage message = Activations.Message("""{"deep":0}""");
        string deep = string.Concat(Enumerable.Repeat("{\"a\":", 100)) + "1" + new string('}', 100);

        await _handler.HandleAsync(Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Bytes(message)).Replace("""{"deep":0}""", deep)));

        ActivationRecord record = _sinks.Records[message.ActivationId];
        Assert.Equal((int)ActivationStatus.WhiskError, record.Response.StatusCode);
        Assert.Contains("maximum configured depth of 64", record.Response.Result.ToString());
        _sinks.AssertExactlyOneAckPerRecord();
    }

    [Fact]
    public async Task MessageWithInvalidUtf8InItsPayload_IsAcknowledgedAsAWhiskError_NamingTheByte()
    {
        ActivationMessage message = Activations.Message("""{"text":"BAD"}""");
        byte[] bytes = Bytes(message);
        int bad = bytes.AsSpan().IndexOf("BAD"u8);
        bytes[bad] = 0xFF;

        await _handler.HandleAsync(bytes);

        ActivationRecord record = _sinks.Records[message.ActivationId];
        Assert.Equal((int)ActivationStatus.WhiskError, record.Response.StatusCode);
        Assert.Contains($"Invalid UTF-8 at byte {bad}", record.Response.Result.ToString());
        _sinks.AssertExactlyOneAckPerRecord();
        Assert.Empty(_factory.Created);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("{\"activationId\":\"c7bb\"}")]
    [InlineData("{\"activationId\":\"c7bb1339cb4f40e3a6ccead6c99f804e\"}")]
    [InlineData("")]
    public async Task MessageWithoutAReadableIdAndController_IsReportedAndSkipped(string text)
    {
        await _handler.HandleAsync(Encoding.UTF8.GetBytes(text));

        Assert.Empty(_sinks.Acks);
        Assert.Single(_reports);
    }
}
