using System.Text;
using Microsoft.Extensions.Time.Testing;
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
    private ActivationInvoker _invoker = null!;
    private ActivationMessageHandler _handler = null!;
    private ExecutableAction? _action = Activations.Action("function main() { return {}; }");

    public Task InitializeAsync()
    {
        _pool = new ContainerPool(_factory, new ContainerPoolOptions { UserMemoryMegabytes = 1024 });
        _invoker = new ActivationInvoker(_pool, _sinks, _sinks, new InvokerInstanceId { Instance = 0, UserMemory = ByteSize.FromMegabytes(1024) });
        _handler = new ActivationMessageHandler(_invoker, _sinks, new ActionSourceStub(_ => _action), _reports.Add);
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

    [Theory]
    [InlineData(false, "store", "ack")]
    [InlineData(true, "ack", "store")]
    public async Task ABatchingStore_GetsTheRecordAfterTheAck_AndAnyOtherBeforeIt(bool storesAfterAcknowledgement, string first, string second)
    {
        var sinks = new RecordingSinks { StoresAfterAcknowledgement = storesAfterAcknowledgement };
        var invoker = new ActivationInvoker(_pool, sinks, sinks, new InvokerInstanceId { Instance = 0, UserMemory = ByteSize.FromMegabytes(1024) });
        var handler = new ActivationMessageHandler(invoker, sinks, new ActionSourceStub(_ => _action), _reports.Add);

        await handler.HandleAsync(Bytes(Activations.Message()));

        Assert.Equal([first, second], sinks.Order);
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
    public async Task MissingAction_IsAnApplicationError_WithOpenWhisksMessage()
    {
        _action = null;
        ActivationMessage message = Activations.Message();

        await _handler.HandleAsync(Bytes(message));

        ActivationRecord record = _sinks.Records[message.ActivationId];
        Assert.Equal((int)ActivationStatus.ApplicationError, record.Response.StatusCode);
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

    [Fact]
    public async Task ABlacklistedNamespace_IsRefusedBeforeItsActionIsRead_WithACompletionAndNoRecord()
    {
        var handler = new ActivationMessageHandler(_invoker, _sinks, new ActionSourceStub(_ => throw new InvalidOperationException("read")),
            blacklist: new Blacklist("guest"));
        ActivationMessage message = Activations.Message(blocking: true);

        await handler.HandleAsync(Bytes(message));

        Assert.Empty(_sinks.Records);
        (ActivationId id, object ack) = Assert.Single(_sinks.Acks);
        Assert.Equal(message.ActivationId, id);
        CompletionMessage completion = Assert.IsType<CompletionMessage>(ack);
        Assert.False(completion.IsSystemError);
        Assert.Equal(message.Transid, completion.Transid);
        Assert.Equal(1, _invoker.Metrics.Completed(ActivationStatus.ApplicationError));
        Assert.Empty(_factory.Created);
    }

    [Fact]
    public async Task AnotherNamespace_IsNotRefusedByTheBlacklist()
    {
        var handler = new ActivationMessageHandler(_invoker, _sinks, new ActionSourceStub(_ => _action), blacklist: new Blacklist("spammer"));
        ActivationMessage message = Activations.Message();

        await handler.HandleAsync(Bytes(message));

        Assert.Equal((int)ActivationStatus.Success, _sinks.Records[message.ActivationId].Response.StatusCode);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AFailedLookup_IsStoredAsOpenWhisksFallbackRecord_AndAcknowledgedAsUsual(bool blocking)
    {
        var handler = new ActivationMessageHandler(_invoker, _sinks, new FailingSource(ActionLookup.NotFound), time: new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_754_400_000_123)));
        ActivationMessage sent = Activations.Message(blocking: blocking);
        ActivationId cause = ActivationId.NewId();
        ActivationMessage message = JsonModel.Read<ActivationMessage>(Encoding.UTF8.GetString(Bytes(sent))
            .Replace("\"path\":\"guest\",\"name\":\"hello\",\"version\":\"0.0.1\"", "\"path\":\"guest/pkg\",\"name\":\"hello\",\"version\":\"0.0.7\"")
            .Replace("\"blocking\"", $"\"cause\":\"{cause}\",\"blocking\"", StringComparison.Ordinal));

        await handler.HandleAsync(Bytes(message));

        ActivationRecord record = _sinks.Records[message.ActivationId];
        Assert.Equal(("guest", "hello", "guest", "0.0.7"), (record.Namespace, record.Name, record.Subject, record.Version));
        Assert.Equal((1_754_400_000_123L, 1_754_400_000_123L, 0L), (record.Start, record.End, record.Duration!.Value));
        Assert.Equal(cause, record.Cause);
        Assert.Equal((int)ActivationStatus.ApplicationError, record.Response.StatusCode);
        Assert.Equal("""{"error":"Action could not be found or may have been deleted."}""", record.Response.Result.ToString());
        Assert.Equal(["path=\"guest/pkg/hello\"", "kind=\"unknown\"", "causedBy=\"sequence\""], record.Annotations.Select(a => $"{a.Key}={a.Value}"));
        (_, object ack) = Assert.Single(_sinks.Acks);
        Assert.Equal(blocking ? typeof(CombinedCompletionAndResultMessage) : typeof(CompletionMessage), ack.GetType());
        Assert.Empty(_factory.Created);
    }

    [Fact]
    public async Task AFailedLookupWithoutCauseOrVersion_HasNeitherCausedByNorTheActionsVersion()
    {
        var handler = new ActivationMessageHandler(_invoker, _sinks, new FailingSource(ActionLookup.NotFetched));
        ActivationMessage message = JsonModel.Read<ActivationMessage>(Encoding.UTF8.GetString(Bytes(Activations.Message())).Replace(",\"version\":\"0.0.1\"", ""));

        await handler.HandleAsync(Bytes(message));

        ActivationRecord record = _sinks.Records[message.ActivationId];
        Assert.Equal("0.0.1", record.Version);
        Assert.Null(record.Cause);
        Assert.Equal(["path", "kind"], record.Annotations.Select(a => a.Key));
        Assert.Equal((int)ActivationStatus.WhiskError, record.Response.StatusCode);
        Assert.True(Assert.IsType<CombinedCompletionAndResultMessage>(Assert.Single(_sinks.Acks).Message).IsSystemError);
    }

    private sealed class Blacklist(params string[] namespaces) : INamespaceBlacklist
    {
        public bool Contains(string @namespace) => namespaces.Contains(@namespace);
    }

    private sealed class FailingSource(ActionLookup failure) : IActionSource
    {
        public ValueTask<ActionLookup> FindAsync(ActivationMessage message, CancellationToken cancellationToken) => ValueTask.FromResult(failure);
    }
}
