using Perf.Invoker.Json;
using Perf.Invoker.Kafka;
using Perf.Invoker.Model;

namespace Perf.Invoker.Feed.Kafka;

/// <summary>
/// Sends <see cref="PingMessage"/> on <c>health</c> every interval (1 s, docs/openwhisk.md §3: controllers mark an
/// invoker offline after 10 s without one). The interval comes from a <see cref="TimeProvider"/>, so tests
/// drive it. Pings go out one at a time; a slow broker makes ticks coalesce rather than pile up.
/// </summary>
/// <remarks>
/// A disabled invoker says so once (<c>isEnabled: false</c>) and then stops pinging until it is enabled again, as
/// OpenWhisk's does (docs/cluster.md, health pings): the controller then marks it offline and sends it nothing.
/// </remarks>
public sealed class KafkaHealthPinger : IAsyncDisposable
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(1);

    private readonly KafkaProducer _producer;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _interval;

    /// <summary>The two possible pings, written once: the instance never changes.</summary>
    private readonly byte[] _enabledPing;
    private readonly byte[] _disabledPing;

    private readonly CancellationTokenSource _stop = new();

    /// <summary>What the next ping says: the invoker's switch, flipped by the admin endpoints, shared with the feed.</summary>
    private readonly InvokerSwitch _switch;

    /// <summary>The ping loop, or null before <see cref="Start"/>.</summary>
    private Task? _loop;

    private long _sent;
    private long _skipped;

    /// <summary>What the last ping sent said: <see cref="NoneSaid"/>, <see cref="EnabledSaid"/> or <see cref="DisabledSaid"/>.</summary>
    private volatile int _lastSaid;

    private const int NoneSaid = 0;
    private const int EnabledSaid = 1;
    private const int DisabledSaid = 2;

    /// <param name="invokerSwitch">The switch whose state the pings report; a switch of the pinger's own when null.</param>
    public KafkaHealthPinger(KafkaProducer producer, InvokerInstanceId instance, TimeProvider? timeProvider = null, TimeSpan? interval = null, InvokerSwitch? invokerSwitch = null)
    {
        ArgumentNullException.ThrowIfNull(producer);
        ArgumentNullException.ThrowIfNull(instance);
        _producer = producer;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _interval = interval ?? DefaultInterval;
        _switch = invokerSwitch ?? new InvokerSwitch();
        _enabledPing = JsonModel.ToUtf8Bytes(new PingMessage { Instance = instance, IsEnabled = true });
        _disabledPing = JsonModel.ToUtf8Bytes(new PingMessage { Instance = instance, IsEnabled = false });
        Topic = producer.Options.HealthTopic;
    }

    public string Topic { get; }

    /// <summary><c>isEnabled</c> of the pings from now on; a disabled invoker says so once, then stops pinging. Setting it flips the switch.</summary>
    public bool IsEnabled
    {
        get => _switch.IsEnabled;
        set
        {
            if (value)
            {
                _switch.Enable();
            }
            else
            {
                _switch.Disable();
            }
        }
    }

    /// <summary>Pings delivered so far.</summary>
    public long SentCount => Interlocked.Read(ref _sent);

    /// <summary>Ticks without a ping: the invoker was disabled and had said so already.</summary>
    public long SkippedCount => Interlocked.Read(ref _skipped);

    /// <summary>A ping could not be delivered; the loop goes on with the next tick.</summary>
    public event Action<Exception>? PingFailed;

    /// <summary>Sends the first ping now and one every interval after, until disposed.</summary>
    public void Start()
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException("The pinger is already running.");
        }

        _loop = RunAsync(_stop.Token);
    }

    /// <summary>One ping now, outside the schedule, saying what the switch says (the admin's disable: at once, as OpenWhisk's).</summary>
    public async ValueTask PingAsync(CancellationToken cancellationToken)
    {
        bool enabled = _switch.IsEnabled;
        await _producer.ProduceAsync(Topic, enabled ? _enabledPing : _disabledPing, cancellationToken).ConfigureAwait(false);
        _lastSaid = enabled ? EnabledSaid : DisabledSaid;
        Interlocked.Increment(ref _sent);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        // Created before the first ping so a tick during it is not lost.
        using var timer = new PeriodicTimer(_interval, _timeProvider);
        await Task.Yield();
        do
        {
            if (!_switch.IsEnabled && _lastSaid == DisabledSaid)
            {
                Interlocked.Increment(ref _skipped);
                continue;
            }

            try
            {
                await PingAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A failed ping must not end the loop: the next tick tries again; the failure is reported.
            catch (Exception e)
#pragma warning restore CA1031
            {
                PingFailed?.Invoke(e);
            }
        }
        while (await WaitAsync(timer, cancellationToken).ConfigureAwait(false));
    }

    private static async ValueTask<bool> WaitAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
