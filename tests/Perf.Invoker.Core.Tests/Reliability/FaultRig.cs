using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Perf.Invoker.Containers;
using Perf.Invoker.Feed;
using Perf.Invoker.Invocation;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Pool;
using Perf.Invoker.Tests.Feed;
using Perf.Invoker.Tests.Invocation;

namespace Perf.Invoker.Tests.Reliability;

/// <summary>
/// The whole activation path over real runtime processes, for one row of the fault matrix: a feed (credit window, offsets,
/// commits) into the handler, the pool and runtimes/nodejs (or the misbehaving <c>FaultRuntime</c>), records and acks
/// into <see cref="RecordingSinks"/>. A test submits activations, injects its fault, and ends with
/// <see cref="SettleAsync"/>: docs/architecture.md §3 checked at rest and counted into a <see cref="FaultLedger"/>.
/// </summary>
internal sealed class FaultRig : IAsyncDisposable
{
    /// <summary>The real runtime.</summary>
    public static string NodeRuntime => Repository.NodeRuntime;

    /// <summary>The runtime that misbehaves on command (FaultRuntime/index.js).</summary>
    public static string FaultRuntime => Path.Combine(Repository.Root, "tests", "Perf.Invoker.Core.Tests", "Reliability", "FaultRuntime");

    /// <summary>
    /// Action code for the real runtime that does what its parameters say: notes its execution in <c>runs</c>, exits the
    /// process (<c>crash</c>), never answers (<c>hang</c>), or answers once the file <c>hold</c> exists.
    /// </summary>
    public const string ObedientAction = """
        const fs = require('fs');
        function main(p) {
          if (p.runs) fs.appendFileSync(p.runs, process.env.__OW_ACTIVATION_ID + '\n');
          if (p.crash) process.exit(1);
          if (p.hang) return new Promise(() => {});
          if (p.hold) return new Promise(resolve => {
            const poll = setInterval(() => { if (fs.existsSync(p.hold)) { clearInterval(poll); resolve({ ok: true }); } }, 10);
          });
          return { ok: true };
        }
        """;

    private const int UserMemory = 2048;

    private readonly string _ownerTag;
    private readonly ProcessContainerFactory _factory;
    private readonly ConcurrentDictionary<ActivationId, ExecutableAction> _actions = new();
    private readonly Channel<FeedMessage> _messages = Channel.CreateUnbounded<FeedMessage>();
    private readonly RecordingCommitter _committer = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _feeding;
    private readonly List<string> _accepted = [];
    private long _nextOffset;
    private bool _disposed;

    public FaultRig(string runtimeDirectory)
    {
        _ownerTag = $"faults-{Guid.NewGuid():N}"[..15];
        _factory = new ProcessContainerFactory(new ProcessContainerFactoryOptions { RuntimeDirectory = runtimeDirectory, OwnerTag = _ownerTag });
        Pool = new ContainerPool(_factory, new ContainerPoolOptions { UserMemoryMegabytes = UserMemory });
        var invoker = new ActivationInvoker(Pool, Sinks, Sinks, new InvokerInstanceId { Instance = 0, UserMemory = ByteSize.FromMegabytes(UserMemory) });
        var handler = new ActivationMessageHandler(invoker, Sinks, new ActionSourceStub(message => _actions.GetValueOrDefault(message.ActivationId)));
        Feed = new MessageFeed(new ChannelSource(_messages.Reader), _committer, message => handler.HandleAsync(message.Value, message.MayBeRedelivered), new MessageFeedOptions { MaxPeek = 400 });
        _feeding = Feed.RunAsync(_stop.Token);
        Directory = System.IO.Directory.CreateTempSubdirectory("invoker-faults-").FullName;
    }

    public ContainerPool Pool { get; }

    public MessageFeed Feed { get; }

    public RecordingSinks Sinks { get; } = new();

    /// <summary>A scratch directory: the runs file, gate files.</summary>
    public string Directory { get; }

    /// <summary>Each execution's activation id, one line per /run the runtime received.</summary>
    public string Runs => Path.Combine(Directory, "runs.log");

    public string[] Executions => File.Exists(Runs) ? File.ReadAllLines(Runs) : [];

    /// <summary>A gate file path: activations holding on it answer once <see cref="Open"/> creates it.</summary>
    public string Gate(string name) => Path.Combine(Directory, name);

    public static void Open(string gate) => File.WriteAllText(gate, "open");

    /// <summary>Parameters as JSON with <c>runs</c> added, so that every execution is counted.</summary>
    public string Content(object? parameters = null)
    {
        var values = parameters is null ? [] : JsonSerializer.SerializeToNode(parameters)!.AsObject();
        values["runs"] = Runs;
        return values.ToJsonString();
    }

    /// <summary>Feeds one activation of <paramref name="action"/>; it is accepted from here on.</summary>
    public ActivationId Submit(ExecutableAction action, object? parameters = null)
    {
        ActivationMessage message = Activations.Message(Content(parameters), blocking: _nextOffset % 2 == 0);
        _actions[message.ActivationId] = action;
        lock (_accepted)
        {
            _accepted.Add(message.ActivationId.ToString());
        }

        _messages.Writer.TryWrite(new FeedMessage(0, _nextOffset++, JsonModel.ToUtf8Bytes(message), MayBeRedelivered: false));
        return message.ActivationId;
    }

    public IEnumerable<ActivationId> SubmitMany(int count, ExecutableAction action, object? parameters = null) =>
        [.. Enumerable.Range(0, count).Select(_ => Submit(action, parameters))];

    public Task WaitForRecordsAsync(IEnumerable<ActivationId> ids, int seconds = 120) =>
        Eventually.True(() => ids.All(Sinks.Records.ContainsKey), "every activation has its record", seconds, pollMilliseconds: 20);

    public Task WaitForExecutionsAsync(int count, int seconds = 120) =>
        Eventually.True(() => Executions.Length >= count, $"{count} executions have started", seconds, pollMilliseconds: 20);

    public ActivationRecord Record(ActivationId id) => Sinks.Records[id];

    /// <summary>Runtime processes of this rig alive now, found by their owner tag as the leftover sweep finds them.</summary>
    public int[] RuntimeProcesses() =>
        [.. System.IO.Directory.EnumerateDirectories("/proc")
            .Select(dir => int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : -1)
            .Where(pid => pid > 0 && HasOwner(pid) && !ProcessContainerFactory.IsGone(pid))];

    /// <summary>The runtime process of the one container of <paramref name="action"/>.</summary>
    public int ProcessOf(ExecutableAction action) =>
        ((ProcessContainer)Pool.Containers.Single(c => c.Key?.ActionPath == PoolKey.For("guest", action).ActionPath).Container!).ProcessId;

    /// <summary>kill -9 from outside, as an operator or the kernel's OOM killer would.</summary>
    public static void KillNine(int pid) => Process.Start("kill", ["-KILL", pid.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();

    /// <summary>
    /// Sends a probe activation of <paramref name="action"/> and waits for its success: the action recovered. Returns the
    /// milliseconds since <paramref name="fault"/> started.
    /// </summary>
    public async Task<long> RecoverAsync(ExecutableAction action, Stopwatch fault)
    {
        ActivationId probe = Submit(action);
        await WaitForRecordsAsync([probe]);
        Assert.True(Record(probe).Response.StatusCode == (int)ActivationStatus.Success, $"the probe after the fault failed: {Record(probe).Response.Result}");
        return fault.ElapsedMilliseconds;
    }

    /// <summary>
    /// Waits for every accepted activation to complete, then checks docs/architecture.md §3 at rest: credits all back and
    /// dispatched = completed, the partition committed to its end, no handler fault, no slot held, memory equal to the
    /// containers alive, one runtime process per container alive; after disposal no process left. Then counts the ledger.
    /// </summary>
    public async Task<FaultLedger> SettleAsync(string row, int inFlight, long recoverMilliseconds)
    {
        string[] accepted;
        lock (_accepted)
        {
            accepted = [.. _accepted];
        }

        await Eventually.True(() => Feed.Completed == accepted.Length, "every accepted activation completed", seconds: 120, pollMilliseconds: 20);
        await Eventually.True(() => _committer.LastCommitOf(0) == _nextOffset, "the partition is committed to its end", seconds: 30, pollMilliseconds: 20);
        Assert.Equal(0, Feed.CreditsInUse);
        Assert.Equal(Feed.Dispatched, Feed.Completed);
        Assert.Equal(0, Feed.HandlerFaults);
        await Eventually.True(() => Pool.SlotsInUse == 0, "every slot is given back");
        await Eventually.True(() => Pool.MemoryInUseMegabytes == Pool.Containers.Sum(c => c.MemoryMegabytes), "memory in use equals the containers alive");
        // A container whose process is gone holds memory for nothing and would take work it cannot run.
        await Eventually.True(() => Pool.Containers.Count(c => c.State is ProxyState.Ready or ProxyState.Paused) == RuntimeProcesses().Length,
            "one runtime process per container the pool offers", seconds: 30, pollMilliseconds: 50);

        FaultLedger ledger = FaultLedger.Count(row, inFlight, accepted,
            Sinks.Records.Keys.Select(k => k.ToString()),
            Sinks.Acks.Select(a => a.Id.ToString()),
            Executions,
            recoverMilliseconds);
        await DisposeAsync();
        Assert.Empty(RuntimeProcesses());
        return ledger;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _messages.Writer.TryComplete();
        await _stop.CancelAsync();
        await _feeding.ContinueWith(static _ => { }, TaskScheduler.Default);
        await Pool.DisposeAsync();
        await _factory.DisposeAsync();
        _stop.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private bool HasOwner(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/environ").Split('\0').Contains($"PERF_INVOKER_OWNER={_ownerTag}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private sealed class ChannelSource(ChannelReader<FeedMessage> messages) : IMessageSource
    {
        public void SetPartitionListener(IPartitionListener listener) => listener.PartitionsAssigned([0]);

        public ValueTask<FeedMessage> ReceiveAsync(CancellationToken cancellationToken) => messages.ReadAsync(cancellationToken);
    }
}
