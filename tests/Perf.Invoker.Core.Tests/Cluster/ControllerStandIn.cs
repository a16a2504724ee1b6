using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Confluent.Kafka;
using Perf.Invoker.Tests.CouchDb;
using Perf.Invoker.Tests.Kafka;

namespace Perf.Invoker.Tests.Cluster;

/// <summary>
/// What OpenWhisk's controller (one, <c>controller0</c>) does to invokers, over the same wires, for tests only
/// (docs/cluster.md): it writes actions to CouchDB as the API does and its own health action as InvokerPool.prepare
/// does; it reads pings from <c>health</c> and runs an <see cref="InvokerSupervisor"/> per invoker; it routes user
/// activations with the <see cref="ShardingBalancer"/> to Healthy invokers only, on <c>invoker&lt;N&gt;</c>; it reads
/// acks from <c>completed0</c>, frees slots and counts results; and it reads records back from CouchDB by <c>_id</c>.
/// </summary>
internal sealed class ControllerStandIn : IAsyncDisposable
{
    public const string Controller = "0";

    /// <summary>How often the supervisors' clocks are looked at: the state timeout fires at most this late.</summary>
    private static readonly TimeSpan s_clockPeriod = TimeSpan.FromMilliseconds(100);

    private readonly Lock _gate = new();
    private readonly string _prefix;
    private readonly CouchDbFixture _couch;
    private readonly WhiskDatabases _databases;
    private readonly SupervisionTimes _times;
    private readonly TimeProvider _clock;
    private readonly IProducer<Null, byte[]> _producer;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private readonly ITimer _ticker;

    /// <summary>Supervisors by instance; null for an instance padded as Offline because a higher one pinged first.</summary>
    private readonly List<InvokerSupervisor?> _supervisors = [];

    /// <summary>Each known invoker's userMemory, from the ping that registered it (or the registering one's, when padded).</summary>
    private readonly List<int> _userMemory = [];

    private readonly ShardingBalancer _balancer = new(new Random(1));

    /// <summary>The activations sent and not yet freed by an ack (OpenWhisk's activation entries).</summary>
    private readonly Dictionary<string, Entry> _entries = [];

    private readonly ConcurrentDictionary<string, List<WhiskAck>> _acks = new();
    private readonly ConcurrentDictionary<string, byte> _healthActivations = new();
    private readonly ConcurrentQueue<string> _problems = new();
    private readonly WhiskIdentity _healthIdentity = WhiskIdentity.Health();
    private StoredAction _healthAction = null!;

    private ControllerStandIn(KafkaMockBrokerFixture broker, string prefix, CouchDbFixture couch, WhiskDatabases databases, SupervisionTimes times, TimeProvider clock)
    {
        _prefix = prefix;
        _couch = couch;
        _databases = databases;
        _times = times;
        _clock = clock;
        // TransactionId.invokerHealth: its start is fixed once, when the controller starts.
        HealthTransid = new WhiskTransactionId("sid_invokerHealth", clock.GetUtcNow().ToUnixTimeMilliseconds());
        _producer = KafkaTestClient.Producer(broker.BootstrapServers);
        _ticker = clock.CreateTimer(_ => Clock(), null, s_clockPeriod, s_clockPeriod);
    }

    public WhiskTransactionId HealthTransid { get; }

    public WhiskDatabases Databases => _databases;

    /// <summary>Activations sent whose slot no ack has freed yet.</summary>
    public int InFlight
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Activations sent to <paramref name="invoker"/> and not yet acked.</summary>
    public int InFlightOn(int invoker)
    {
        lock (_gate)
        {
            return _entries.Values.Count(entry => entry.Invoker == invoker);
        }
    }

    /// <summary>Health test activations sent so far: their records (<c>whisk.system/&lt;id&gt;</c>) are the only others expected.</summary>
    public ICollection<string> HealthActivationIds => _healthActivations.Keys;

    /// <summary>What went wrong outside a test's call: an unreadable ping or ack, a failed produce.</summary>
    public IReadOnlyCollection<string> Problems => _problems;

    /// <summary>
    /// Creates the controller's topics (<c>health</c>, <c>completed0</c>) and, so that nothing waits on auto-creation, the
    /// invokers' (<c>invoker&lt;N&gt;</c>, one partition as OpenWhisk's default, or <paramref name="invokerPartitions"/>); puts the health action; starts reading.
    /// </summary>
    public static async Task<ControllerStandIn> StartAsync(KafkaMockBrokerFixture broker, string prefix, CouchDbFixture couch, WhiskDatabases databases,
        SupervisionTimes times, int invokers, TimeProvider? clock = null, int invokerPartitions = 1)
    {
        await broker.CreateTopicAsync(prefix + "health", partitions: 1);
        await broker.CreateTopicAsync(prefix + "completed" + Controller, partitions: 1);
        for (int i = 0; i < invokers; i++)
        {
            await broker.CreateTopicAsync(prefix + "invoker" + i, partitions: invokerPartitions);
        }

        var standIn = new ControllerStandIn(broker, prefix, couch, databases, times, clock ?? TimeProvider.System);
        standIn._healthAction = await WhiskActionDocuments.PutAsync(couch, databases.Entities, WhiskActionDocuments.HealthAction(Controller));
        standIn._loops.Add(standIn.ReadAsync(broker.BootstrapServers, prefix + "health", standIn.OnPing));
        standIn._loops.Add(standIn.ReadAsync(broker.BootstrapServers, prefix + "completed" + Controller, standIn.OnAck));
        return standIn;
    }

    public Task<StoredAction> PutActionAsync(WhiskActionSpec action) => WhiskActionDocuments.PutAsync(_couch, _databases.Entities, action);

    public InvokerState StateOf(int invoker)
    {
        lock (_gate)
        {
            return invoker < _supervisors.Count && _supervisors[invoker] is { } supervisor ? supervisor.State : InvokerState.Offline;
        }
    }

    /// <summary>The states an invoker went through, with when (empty before its first ping).</summary>
    public List<(InvokerState State, DateTimeOffset At)> TransitionsOf(int invoker)
    {
        lock (_gate)
        {
            return invoker < _supervisors.Count && _supervisors[invoker] is { } supervisor ? [.. supervisor.Transitions] : [];
        }
    }

    /// <summary>
    /// Publishes one activation as the controller does: merged parameters in <c>content</c>, init ones named in
    /// <c>initArgs</c>, the document's revision; routed by the balancer. Its activation id (32 hex).
    /// </summary>
    /// <exception cref="InvalidOperationException">No invoker is Healthy (OpenWhisk's "No invokers available").</exception>
    public string Invoke(StoredAction action, WhiskIdentity? user = null, string? payload = null, bool blocking = false)
    {
        user ??= WhiskIdentity.Guest;
        WhiskActionSpec spec = action.Spec;
        string id = Guid.NewGuid().ToString("N");
        byte[] message = ActivationMessageJson.Write(
            new WhiskTransactionId(Guid.NewGuid().ToString("N"), _clock.GetUtcNow().ToUnixTimeMilliseconds()), spec, action.Revision, user, id,
            Controller, blocking, ActivationMessageJson.MergeContent(spec, payload), spec.Parameters.Where(p => p.Init).Select(p => p.Key));
        lock (_gate)
        {
            int invoker = _balancer.Schedule(States(), user.Namespace, spec.Id, spec.Memory, spec.Concurrency)
                ?? throw new InvalidOperationException("No invokers available");
            _entries[id] = new Entry(invoker, spec);
            Produce(invoker, message);
        }

        return id;
    }

    /// <summary>Every ack received for an activation, in arrival order.</summary>
    public IReadOnlyList<WhiskAck> AcksOf(string activationId)
    {
        if (!_acks.TryGetValue(activationId, out List<WhiskAck>? acks))
        {
            return [];
        }

        lock (acks)
        {
            return [.. acks];
        }
    }

    /// <summary>The record stored as <c>&lt;user namespace&gt;/&lt;activation id&gt;</c>, or null while there is none.</summary>
    public async Task<JsonElement?> GetRecordAsync(string userNamespace, string activationId)
    {
        using HttpResponseMessage response = await _couch.Http.GetAsync($"/{_databases.Activations}/{Uri.EscapeDataString(userNamespace + "/" + activationId)}");
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    /// <summary>The <c>_id</c> of every document in the activations database but its design documents.</summary>
    public async Task<List<string>> ActivationDocumentIdsAsync()
    {
        using HttpResponseMessage response = await _couch.Http.GetAsync($"/{_databases.Activations}/_all_docs");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. document.RootElement.GetProperty("rows").EnumerateArray()
            .Select(row => row.GetProperty("id").GetString()!)
            .Where(id => !id.StartsWith("_design/", StringComparison.Ordinal))];
    }

    /// <summary>
    /// Puts the namespace on the blacklist as OpenWhisk's limits do (a <c>&lt;ns&gt;/limits</c> document with
    /// concurrentInvocations 0 in subjects) and brings the view up to date, so the invoker's next
    /// <c>stale=update_after</c> query sees it.
    /// </summary>
    public async Task BlockNamespaceAsync(string userNamespace)
    {
        await _couch.SendAsync(HttpMethod.Put, $"/{_databases.Subjects}/{Uri.EscapeDataString(userNamespace + "/limits")}",
            """{"concurrentInvocations":0,"invocationsPerMinute":0}""", HttpStatusCode.Created);
        string view = await _couch.SendAsync(HttpMethod.Get, $"/{_databases.Subjects}/_design/namespaceThrottlings/_view/blockedNamespaces?reduce=false",
            body: null, HttpStatusCode.OK);
        Assert.Contains($"\"key\":\"{userNamespace}\"", view, StringComparison.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _ticker.DisposeAsync();
        await Task.WhenAll(_loops);
        _producer.Flush(KafkaTestClient.Timeout);
        _producer.Dispose();
        _stop.Dispose();
    }

    private List<InvokerState> States() => [.. _supervisors.Select(s => s?.State ?? InvokerState.Offline)];

    /// <summary>InvokerPool: the first ping of an instance registers it (lower instances not heard from yet are padded as Offline).</summary>
    private void OnPing(byte[] message)
    {
        WhiskPing ping = WhiskPing.Parse(message);
        lock (_gate)
        {
            while (_supervisors.Count <= ping.Instance)
            {
                _supervisors.Add(null);
                _userMemory.Add(ping.UserMemoryMegabytes);
            }

            if (_supervisors[ping.Instance] is null)
            {
                _supervisors[ping.Instance] = new InvokerSupervisor(_times, _clock, () => SendTestAction(ping.Instance));
            }

            _balancer.Grow(_userMemory);
            _supervisors[ping.Instance]!.Ping(ping.IsEnabled);
        }
    }

    /// <summary>
    /// CommonLoadBalancer.processCompletion: a slot-freeing ack of an activation with an entry frees its slot and counts
    /// for the invoker; one without an entry counts only if it echoes the health transid exactly; a result message
    /// alone only delivers the result.
    /// </summary>
    private void OnAck(byte[] message)
    {
        WhiskAck ack = WhiskAck.Parse(message);
        List<WhiskAck> acks = _acks.GetOrAdd(ack.ActivationId, _ => []);
        lock (acks)
        {
            acks.Add(ack);
        }

        if (!ack.FreesSlot)
        {
            return;
        }

        int invoker = ack.Invoker!.Value;
        InvocationResult result = ack.IsSystemError ? InvocationResult.SystemError : InvocationResult.Success;
        lock (_gate)
        {
            if (_entries.Remove(ack.ActivationId, out Entry entry))
            {
                _balancer.Release(invoker, entry.Action.Id, entry.Action.Memory, entry.Action.Concurrency);
            }
            else if (!HealthTransid.IsEchoedBy(ack.Transid))
            {
                // "completion ack … which has no entry": a duplicate, or a health ack with another transid.
                return;
            }

            if (invoker < _supervisors.Count && _supervisors[invoker] is { } supervisor)
            {
                supervisor.Finished(result);
            }
        }
    }

    /// <summary>InvokerActor.invokeTestAction: the health action, revision null (read uncached), the fixed health transid, non-blocking.</summary>
    private void SendTestAction(int invoker)
    {
        string id = Guid.NewGuid().ToString("N");
        _healthActivations[id] = 0;
        Produce(invoker, ActivationMessageJson.Write(HealthTransid, _healthAction.Spec, revision: null, _healthIdentity, id, Controller,
            blocking: false, content: null, initArgs: []));
    }

    private void Produce(int invoker, byte[] message) =>
        _producer.Produce(_prefix + "invoker" + invoker, new Message<Null, byte[]> { Value = message }, report =>
        {
            if (report.Error.IsError)
            {
                _problems.Enqueue($"produce to invoker{invoker}: {report.Error.Reason}");
            }
        });

    private void Clock()
    {
        lock (_gate)
        {
            foreach (InvokerSupervisor? supervisor in _supervisors)
            {
                supervisor?.Clock();
            }
        }
    }

    /// <summary>Reads a topic's one partition from its start until disposal, handing each message to <paramref name="handle"/>.</summary>
    private Task ReadAsync(string bootstrap, string topic, Action<byte[]> handle) => Task.Factory.StartNew(() =>
    {
        using IConsumer<Ignore, byte[]> consumer = new ConsumerBuilder<Ignore, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "controller-stand-in",
            EnableAutoCommit = false,
        })
            .SetLogHandler((_, _) => { })
            .Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        while (!_stop.IsCancellationRequested)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(50)) is { IsPartitionEOF: false } result)
            {
                try
                {
                    handle(result.Message.Value);
                }
                catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
                {
                    // OpenWhisk logs an unparsable ping or ack and drops it; the tests look at Problems.
                    _problems.Enqueue($"{topic}: {e.Message}: {System.Text.Encoding.UTF8.GetString(result.Message.Value)}");
                }
            }
        }

        consumer.Close();
    }, TaskCreationOptions.LongRunning);

    private readonly record struct Entry(int Invoker, WhiskActionSpec Action);
}
