namespace Perf.Invoker.Tests.Cluster;

/// <summary>An invoker as OpenWhisk's controller sees it (docs/cluster.md, health supervision); only Healthy is usable.</summary>
internal enum InvokerState
{
    Offline,
    Unhealthy,
    Healthy,
    Unresponsive,
}

/// <summary>How one slot-freeing ack counted: statusCode 3 is a SystemError, a forced ack a Timeout, anything else a Success.</summary>
internal enum InvocationResult
{
    Success,
    SystemError,
    Timeout,
}

/// <summary>The state timeout (10 s in OpenWhisk) and the probing tick of Unhealthy and Unresponsive (1 minute in OpenWhisk).</summary>
internal sealed record SupervisionTimes(TimeSpan StateTimeout, TimeSpan Tick)
{
    public static SupervisionTimes OpenWhisk { get; } = new(TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1));
}

/// <summary>
/// OpenWhisk's InvokerActor (InvokerSupervision.scala; docs/cluster.md, health supervision) for one invoker, driven by
/// calls instead of actor messages: <see cref="Ping"/>, <see cref="Finished"/> and <see cref="Clock"/>. Not thread-safe:
/// the stand-in calls it under its own lock.
/// </summary>
/// <remarks>
/// One deliberate difference: Akka's FSM restarts the state timeout on every message, its own tick included. With
/// OpenWhisk's numbers (a 1-minute tick, a 10 s timeout) the tick never lands first, so only the invoker's pings and acks
/// matter; here the tick is short in tests, and letting it restart the timeout would keep a silent Unhealthy invoker
/// from ever going Offline. So only pings and completions restart it, which is what OpenWhisk's numbers amount to.
/// </remarks>
internal sealed class InvokerSupervisor
{
    public const int BufferSize = 10;

    public const int BufferErrorTolerance = 3;

    private readonly SupervisionTimes _times;
    private readonly TimeProvider _clock;
    private readonly Action _sendTestAction;

    /// <summary>The last <see cref="BufferSize"/> results, oldest first.</summary>
    private readonly Queue<InvocationResult> _buffer = new(BufferSize);

    /// <summary>When the state times out into Offline; unset in Offline, which has no timeout.</summary>
    private DateTimeOffset? _stateDeadline;

    /// <summary>The next probing tick; set only in Unhealthy and Unresponsive (the timer runs in those states alone).</summary>
    private DateTimeOffset? _nextTick;

    /// <summary>Registered by the first ping: starts Unhealthy, which sends one test action at once and starts the tick.</summary>
    public InvokerSupervisor(SupervisionTimes times, TimeProvider clock, Action sendTestAction)
    {
        _times = times;
        _clock = clock;
        _sendTestAction = sendTestAction;
        State = InvokerState.Unhealthy;
        Transitions.Add((InvokerState.Unhealthy, clock.GetUtcNow()));
        Enter(InvokerState.Unhealthy);
    }

    public InvokerState State { get; private set; }

    /// <summary>Every state entered, with when: the tests read how long an invoker took to go Offline.</summary>
    public List<(InvokerState State, DateTimeOffset At)> Transitions { get; } = [];

    /// <summary>When a ping or a completion last arrived.</summary>
    public DateTimeOffset LastHeard { get; private set; }

    public void Ping(bool isEnabled)
    {
        Heard();
        if (State == InvokerState.Offline)
        {
            if (isEnabled)
            {
                GoTo(InvokerState.Unhealthy);
            }
        }
        else if (!isEnabled)
        {
            GoTo(InvokerState.Offline);
        }
    }

    /// <summary>A slot-freeing ack of this invoker: a user activation's, or a health activation's with the transid echoed.</summary>
    public void Finished(InvocationResult result)
    {
        Heard();
        if (_buffer.Count == BufferSize)
        {
            _buffer.Dequeue();
        }

        _buffer.Enqueue(result);

        // A success while Unhealthy probes again at once, to push the errors out of the buffer quickly.
        if (result == InvocationResult.Success && State == InvokerState.Unhealthy)
        {
            _sendTestAction();
        }

        if ((State == InvokerState.Healthy && result == InvocationResult.Success) || State == InvokerState.Offline)
        {
            return;
        }

        if (_buffer.Count(r => r == InvocationResult.SystemError) > BufferErrorTolerance)
        {
            GoToIfNotThere(InvokerState.Unhealthy);
        }
        else if (_buffer.Count(r => r == InvocationResult.Timeout) > BufferErrorTolerance)
        {
            GoToIfNotThere(InvokerState.Unresponsive);
        }
        else if (result == InvocationResult.Success)
        {
            GoToIfNotThere(InvokerState.Healthy);
        }
        else if (result == InvocationResult.SystemError && _buffer.Count <= BufferErrorTolerance)
        {
            GoToIfNotThere(InvokerState.Unhealthy);
        }
        else if (result == InvocationResult.Timeout && _buffer.Count <= BufferErrorTolerance)
        {
            GoToIfNotThere(InvokerState.Unresponsive);
        }
    }

    /// <summary>Fires what is due: the state timeout first (into Offline, where no tick runs), then the probing tick.</summary>
    public void Clock()
    {
        DateTimeOffset now = _clock.GetUtcNow();
        if (_stateDeadline is { } deadline && now >= deadline)
        {
            GoTo(InvokerState.Offline);
            return;
        }

        if (_nextTick is { } tick && now >= tick)
        {
            _nextTick = tick + _times.Tick;
            _sendTestAction();
        }
    }

    private void Heard()
    {
        LastHeard = _clock.GetUtcNow();
        if (State != InvokerState.Offline)
        {
            _stateDeadline = LastHeard + _times.StateTimeout;
        }
    }

    private void GoToIfNotThere(InvokerState state)
    {
        if (State != state)
        {
            GoTo(state);
        }
    }

    private void GoTo(InvokerState state)
    {
        State = state;
        Transitions.Add((state, _clock.GetUtcNow()));
        Enter(state);
    }

    /// <summary>Akka's transition handlers: entering Unhealthy or Unresponsive probes at once and starts the tick; leaving them stops it.</summary>
    private void Enter(InvokerState state)
    {
        DateTimeOffset now = _clock.GetUtcNow();
        _stateDeadline = state == InvokerState.Offline ? null : now + _times.StateTimeout;
        if (state is InvokerState.Unhealthy or InvokerState.Unresponsive)
        {
            _nextTick = now + _times.Tick;
            _sendTestAction();
        }
        else
        {
            _nextTick = null;
        }
    }
}
