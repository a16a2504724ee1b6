using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Alarms;

/// <summary>
/// Fires the triggers of the stored alarms on time, one timer per active alarm (of <see cref="TimeProvider"/>, so tests
/// move a fake clock), and after each fire does what the alarms provider does (openwhisk-package-alarms
/// provider/lib/utils.js): a date alarm is switched off or deletes its trigger, an alarm past its stop date is switched
/// off, and one whose fire was refused for good (a 4xx other than 408 and 429: the trigger is gone, the key no longer
/// valid) is switched off with the status code as the reason. <see cref="StartAsync"/> arms what the store holds, so
/// schedules survive a restart; fires missed while the invoker was down are not made up, as the provider's are not.
/// </summary>
public sealed class AlarmScheduler : IDisposable
{
    /// <summary>A timer is set at most this far ahead and set again when it wakes early, so any due date fits a timer.</summary>
    private static readonly TimeSpan s_longestWait = TimeSpan.FromDays(1);

    private readonly TimeProvider _time;
    private readonly SqliteAlarmStore _store;
    private readonly IAlarmTarget _target;
    private readonly Action<string> _report;
    private readonly Dictionary<(string Namespace, string Trigger), Armed> _armed = [];
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>1 once <see cref="Dispose"/> has run.</summary>
    private int _disposed;

    public AlarmScheduler(TimeProvider time, SqliteAlarmStore store, IAlarmTarget target, Action<string> report)
    {
        _time = time;
        _store = store;
        _target = target;
        _report = report;
    }

    /// <summary>The alarms armed now.</summary>
    public int ArmedCount
    {
        get
        {
            lock (_lock)
            {
                return _armed.Count;
            }
        }
    }

    public DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>Arms every active stored alarm; one that can no longer fire (its date passed meanwhile) is switched off, as the provider's initialization does.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach ((string ns, string trigger, AlarmSpec spec) in _store.ListAll())
        {
            if (!spec.Status.Active)
            {
                continue;
            }

            if (!Arm(ns, trigger, spec))
            {
                string why = spec.Date is not null ? "the fire once date has expired" : "the stop date has expired";
                await _store.PutAsync(ns, trigger, Disabled(spec, null, $"Automatically disabled after receiving error on trigger initialization: {why}"), cancellationToken);
            }
        }
    }

    /// <summary>Arms (or arms again, replacing the old timer) the alarm of <paramref name="trigger"/> at its next fire from now.</summary>
    /// <returns>False when the alarm has no fire left; nothing is armed then.</returns>
    public bool Arm(string @namespace, string trigger, AlarmSpec spec)
    {
        Disarm(@namespace, trigger);
        if (AlarmTimes.Next(spec, Now) is not { } due)
        {
            return false;
        }

        var armed = new Armed(@namespace, trigger, spec, due);
        lock (_lock)
        {
            _armed[(@namespace, trigger)] = armed;
            armed.Timer = _time.CreateTimer(state => OnTimer((Armed)state!), armed, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            SetTimer(armed);
        }

        return true;
    }

    public void Disarm(string @namespace, string trigger)
    {
        lock (_lock)
        {
            if (_armed.Remove((@namespace, trigger), out Armed? armed))
            {
                armed.Timer?.Dispose();
            }
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping.Cancel();
        lock (_lock)
        {
            foreach (Armed armed in _armed.Values)
            {
                armed.Timer?.Dispose();
            }

            _armed.Clear();
        }

        _stopping.Dispose();
    }

    private void SetTimer(Armed armed)
    {
        TimeSpan wait = armed.Due - Now;
        armed.Timer!.Change(wait < TimeSpan.Zero ? TimeSpan.Zero : wait > s_longestWait ? s_longestWait : wait, Timeout.InfiniteTimeSpan);
    }

    private bool IsCurrent(Armed armed)
    {
        lock (_lock)
        {
            return _armed.TryGetValue((armed.Namespace, armed.Trigger), out Armed? current) && ReferenceEquals(current, armed);
        }
    }

    private void OnTimer(Armed armed)
    {
        lock (_lock)
        {
            if (!IsCurrent(armed))
            {
                return;
            }

            if (Now < armed.Due)
            {
                // Woke after the longest wait, before the due time.
                SetTimer(armed);
                return;
            }
        }

        _ = FireAsync(armed);
    }

    private async Task FireAsync(Armed armed)
    {
        CancellationToken stopping = _stopping.Token;
        try
        {
            int status;
            try
            {
                status = await _target.FireAsync(armed.Namespace, armed.Trigger, armed.Spec.Payload, stopping);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _report($"alarm of trigger {armed.Namespace}/{armed.Trigger}: the fire failed: {e.GetType().Name}: {e.Message}");
                status = 500;
            }

            if (!IsCurrent(armed))
            {
                return;
            }

            if (status is >= 400 and < 500 and not 408 and not 429)
            {
                await DisableAsync(armed, status, $"Automatically disabled after receiving a {status} status code when firing the trigger", stopping);
            }
            else if (armed.Spec.Date is not null)
            {
                if (armed.Spec.DeleteAfterFire is "true" or "rules")
                {
                    Disarm(armed.Namespace, armed.Trigger);
                    await _store.DeleteAsync(armed.Namespace, armed.Trigger, stopping);
                    await _target.DeleteTriggerAsync(armed.Namespace, armed.Trigger, withRules: armed.Spec.DeleteAfterFire == "rules", stopping);
                }
                else
                {
                    await DisableAsync(armed, null, "Automatically disabled after firing once", stopping);
                }
            }
            else
            {
                DateTimeOffset now = Now;
                if (AlarmTimes.Next(armed.Spec, now > armed.Due ? now : armed.Due) is { } next)
                {
                    lock (_lock)
                    {
                        if (IsCurrent(armed))
                        {
                            armed.Due = next;
                            SetTimer(armed);
                        }
                    }
                }
                else
                {
                    string kind = armed.Spec.Minutes is not null ? "interval" : "cron";
                    await DisableAsync(armed, null, $"Automatically disabled after firing last scheduled {kind} trigger", stopping);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping: the alarm fires again after the restart.
        }
        catch (Exception e)
        {
            _report($"alarm of trigger {armed.Namespace}/{armed.Trigger}: {e.GetType().Name}: {e.Message}");
        }
    }

    private async Task DisableAsync(Armed armed, int? statusCode, string message, CancellationToken cancellationToken)
    {
        Disarm(armed.Namespace, armed.Trigger);
        await _store.PutAsync(armed.Namespace, armed.Trigger, Disabled(armed.Spec, statusCode, message), cancellationToken);
        _report($"alarm of trigger {armed.Namespace}/{armed.Trigger}: {message}");
    }

    private AlarmSpec Disabled(AlarmSpec spec, int? statusCode, string message) => new()
    {
        Payload = spec.Payload,
        Cron = spec.Cron,
        Minutes = spec.Minutes,
        Date = spec.Date,
        StartDate = spec.StartDate,
        StopDate = spec.StopDate,
        DeleteAfterFire = spec.DeleteAfterFire,
        Status = new AlarmStatus
        {
            Active = false,
            DateChanged = Now.ToUnixTimeMilliseconds(),
            Reason = new AlarmReason { Kind = "AUTO", StatusCode = statusCode, Message = message },
        },
    };

    /// <summary>An armed alarm: its spec as armed, its next fire and its timer.</summary>
    private sealed class Armed(string @namespace, string trigger, AlarmSpec spec, DateTimeOffset due)
    {
        public string Namespace { get; } = @namespace;

        public string Trigger { get; } = trigger;

        public AlarmSpec Spec { get; } = spec;

        public DateTimeOffset Due { get; set; } = due;

        public ITimer? Timer { get; set; }
    }
}
