using System.Threading.Channels;
using Perf.Invoker.Feed;
using Perf.Invoker.Invocation;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Pool;
using Perf.Invoker.Tests.Feed;
using Perf.Invoker.Tests.Pool;

namespace Perf.Invoker.Tests.Invocation;

/// <summary>
/// docs/architecture.md §3 invariants 1–3 over the whole pipeline (feed → handler → pool → runtime): after 10,000
/// activations mixing every way one can end, credits in use are 0, every partition is committed to its
/// end, no slot is held, and every activation has exactly one record and one ack.
/// </summary>
[Trait("Category", "Unit")]
public sealed class CreditDriftTests : IAsyncLifetime
{
    private const int Count = 10_000;
    private const int Partitions = 4;

    private readonly ScriptedContainerFactory _factory = new();
    private readonly RecordingSinks _sinks = new();
    private ContainerPool _pool = null!;

    public Task InitializeAsync()
    {
        _pool = new ContainerPool(_factory, new ContainerPoolOptions { UserMemoryMegabytes = 4096 });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _pool.DisposeAsync();
        await _factory.DisposeAsync();
    }

    // Per hundred: 1 timeout (an action of its own), 1 crash, 2 developer errors, 1 init failure, 5 application errors, 90 successes.
    private static string Kind(int i) => (i % 100) switch
    {
        0 => "hang",
        1 => "crash",
        2 or 3 => "dev",
        4 => "broken",
        >= 5 and < 10 => "app",
        _ => "ok",
    };

    [Fact]
    public async Task TenThousandMixedActivations_LeaveNoCreditSlotOrOffsetBehind()
    {
        _factory.Init = container => Task.FromResult(container.Spec.Name.EndsWith("_broken", StringComparison.Ordinal)
            ? new RuntimeAnswer(502, """{"error":"Initialization has failed due to: broken on purpose"}""")
            : RuntimeAnswer.Ok("{\"OK\":true}"));
        _factory.Run = async (_, body) => body.GetProperty("value").GetProperty("kind").GetString() switch
        {
            "hang" => await Task.Delay(6000).ContinueWith(_ => RuntimeAnswer.Ok(), TaskScheduler.Default),
            "crash" => RuntimeAnswer.Drop,
            "dev" => new RuntimeAnswer(502, """{"error":"An error has occurred: boom"}"""),
            "app" => RuntimeAnswer.Ok("""{"error":"declined"}"""),
            _ => RuntimeAnswer.Ok("""{"ok":true}"""),
        };
        // The time limit also bounds /init of each new container and every run: a short one made the runs of a loaded
        // machine (the Debug pass beside other work) time out now and then, 11 of 9,000 once. So the activations that
        // must time out have an action of their own with a short limit, and every other one a limit far above any wait.
        ExecutableAction hello = Activations.Action("function main(p) { return p; }", concurrency: 20, timeoutMillis: 120_000);
        ExecutableAction hang = Activations.Action("function main(p) { return p; }", concurrency: 20, timeoutMillis: 2000, name: "hang");
        ExecutableAction broken = Activations.Action("function main( {", concurrency: 20, name: "broken");
        var invoker = new ActivationInvoker(_pool, _sinks, _sinks, new InvokerInstanceId { Instance = 0, UserMemory = ByteSize.FromMegabytes(4096) });
        var handler = new ActivationMessageHandler(invoker, _sinks, new ActionSourceStub(message => message.Content!.Value.ToString() switch
        {
            string content when content.Contains("broken", StringComparison.Ordinal) => broken,
            string content when content.Contains("hang", StringComparison.Ordinal) => hang,
            _ => hello,
        }));

        var source = new ChannelSource();
        for (int i = 0; i < Count; i++)
        {
            source.Add(i % Partitions, i / Partitions, JsonModel.ToUtf8Bytes(Activations.Message($$"""{"kind":"{{Kind(i)}}"}""", blocking: i % 2 == 0)));
        }

        var committer = new RecordingCommitter();
        var feed = new MessageFeed(source, committer, message => handler.HandleAsync(message.Value, message.MayBeRedelivered), new MessageFeedOptions { MaxPeek = 200 });
        using var stop = new CancellationTokenSource();
        Task running = feed.RunAsync(stop.Token);
        for (int i = 0; i < 12_000 && feed.Completed < Count; i++)
        {
            await Task.Delay(10);
        }

        stop.Cancel();
        await running;

        Assert.Equal(Count, feed.Completed);
        Assert.Equal(0, feed.CreditsInUse);
        Assert.Equal(0, feed.HandlerFaults);
        for (int partition = 0; partition < Partitions; partition++)
        {
            Assert.Equal(Count / Partitions, committer.CommitsOf(partition)[^1]);
        }

        Assert.Equal(Count, _sinks.Records.Count);
        _sinks.AssertExactlyOneAckPerRecord();
        Assert.Equal(0, _pool.SlotsInUse);
        var byStatus = _sinks.Records.Values.GroupBy(r => r.Response.StatusCode).ToDictionary(g => g.Key, g => g.Count());

        Assert.Equal(Count * 90 / 100, byStatus[(int)ActivationStatus.Success]);
        Assert.Equal(Count * 5 / 100, byStatus[(int)ActivationStatus.ApplicationError]);
        Assert.Equal(Count * 5 / 100, byStatus[(int)ActivationStatus.DeveloperError]);
        Assert.Equal(Count / 100, _sinks.Records.Values.Count(r => r.Annotations.Any(a => a.Key == "timeout" && a.Value.ToString() == "true")));
    }

    /// <summary>Messages with values, as a Kafka partition would hand them out.</summary>
    private sealed class ChannelSource : IMessageSource
    {
        private readonly Channel<FeedMessage> _messages = Channel.CreateUnbounded<FeedMessage>();

        public void Add(int partition, long offset, byte[] value) => _messages.Writer.TryWrite(new FeedMessage(partition, offset, value, MayBeRedelivered: true));

        public void SetPartitionListener(IPartitionListener listener)
        {
        }

        public ValueTask<FeedMessage> ReceiveAsync(CancellationToken cancellationToken) => _messages.Reader.ReadAsync(cancellationToken);
    }
}
