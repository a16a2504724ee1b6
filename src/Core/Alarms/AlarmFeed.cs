using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Alarms;

/// <summary>What one invocation of a built-in alarms feed action answers: its result, and whether it is a success.</summary>
public readonly record struct AlarmFeedResult(bool Success, RawJson Result);

/// <summary>
/// The feed actions <c>/whisk.system/alarms/alarm</c> (cron), <c>…/interval</c> and <c>…/once</c> of
/// openwhisk-package-alarms, answered in-process: a lifecycle event (<c>CREATE</c>, <c>READ</c>, <c>UPDATE</c>,
/// <c>DELETE</c>, and <c>PAUSE</c>/<c>UNPAUSE</c> of OpenWhisk's feed protocol) with the trigger's name and the caller's
/// key, checked and answered with the package's own words; the alarm is kept in <see cref="SqliteAlarmStore"/> and armed
/// in <see cref="AlarmScheduler"/>. A failure's result is the package's: <c>{"error":{"error":"…"}}</c>.
/// </summary>
public sealed class AlarmFeed(SqliteAlarmStore store, AlarmScheduler scheduler, IAlarmTarget target)
{
    /// <summary>The three feed actions of the alarms package.</summary>
    public static readonly string[] Names = ["alarm", "interval", "once"];

    private static readonly string[] s_deleteAfterFire = ["false", "true", "rules"];

    /// <param name="feed">One of <see cref="Names"/>.</param>
    /// <param name="namespace">The caller's namespace: the trigger's, whatever namespace <c>triggerName</c> names (the package reads <c>__OW_NAMESPACE</c>).</param>
    /// <param name="parameters">The invocation's parameters, a JSON object.</param>
    public async Task<AlarmFeedResult> InvokeAsync(string feed, string @namespace, RawJson parameters, CancellationToken cancellationToken)
    {
        using JsonDocument document = JsonDocument.Parse(parameters.Utf8);
        var p = new Parameters(document.RootElement);
        string? lifecycleEvent = p.String("lifecycleEvent");
        if (lifecycleEvent is not ("CREATE" or "READ" or "UPDATE" or "DELETE" or "PAUSE" or "UNPAUSE"))
        {
            // The feed action's own refusal, before its web action: a rejected promise of a string.
            return new AlarmFeedResult(false, Object("error", RawJson.FromString("unsupported lifecycleEvent")));
        }

        if (!p.Truthy("authKey"))
        {
            return Error("no authKey parameter was provided");
        }

        if (!p.Truthy("triggerName"))
        {
            return Error("no trigger name parameter was provided");
        }

        string authKey = p.String("authKey") ?? string.Empty;
        string trigger = TriggerName(p.String("triggerName") ?? string.Empty);
        string qualified = $"/{@namespace}/{trigger}";
        DateTimeOffset now = scheduler.Now;
        if (lifecycleEvent == "CREATE")
        {
            if (Create(feed, p, now) is not { } created)
            {
                return Error(p.Failure!);
            }

            if (await CheckAsync(authKey, @namespace, trigger, isDelete: false, cancellationToken) is { } refused)
            {
                return refused;
            }

            if (!await store.CreateAsync(@namespace, trigger, created, cancellationToken))
            {
                return Error("error creating alarm trigger.", "Document update conflict.");
            }

            scheduler.Arm(@namespace, trigger, created);
            return Success();
        }

        if (await CheckAsync(authKey, @namespace, trigger, isDelete: lifecycleEvent == "DELETE", cancellationToken) is { } denied)
        {
            return denied;
        }

        if (await store.GetAsync(@namespace, trigger, cancellationToken) is not { } alarm)
        {
            return Error($"could not find trigger {qualified} in the database");
        }

        switch (lifecycleEvent)
        {
            case "READ":
                return new AlarmFeedResult(true, Describe(@namespace, trigger, alarm));
            case "DELETE":
                scheduler.Disarm(@namespace, trigger);
                await store.DeleteAsync(@namespace, trigger, cancellationToken);
                return Success();
            case "UPDATE":
                if (Update(alarm, p, now) is not { } updated)
                {
                    return Error(p.Failure!);
                }

                await store.PutAsync(@namespace, trigger, updated, cancellationToken);
                scheduler.Arm(@namespace, trigger, updated);
                return Success();
            default:
                bool active = lifecycleEvent == "UNPAUSE";
                AlarmSpec changed = With(alarm, new AlarmStatus { Active = active, DateChanged = now.ToUnixTimeMilliseconds() });
                await store.PutAsync(@namespace, trigger, changed, cancellationToken);
                if (active)
                {
                    scheduler.Arm(@namespace, trigger, changed);
                }
                else
                {
                    scheduler.Disarm(@namespace, trigger);
                }

                return Success();
        }
    }

    /// <summary>The name part of <c>/namespace/name</c> or of a bare name (the package's parseQName).</summary>
    private static string TriggerName(string qualifiedName)
    {
        if (!qualifiedName.StartsWith('/'))
        {
            return qualifiedName;
        }

        string[] parts = qualifiedName.Split('/');
        return parts.Length > 2 ? string.Join('/', parts[2..]) : string.Empty;
    }

    /// <summary>The package's check that the key owns the trigger: its GET must succeed (a DELETE also tolerates a trigger already gone).</summary>
    private async Task<AlarmFeedResult?> CheckAsync(string authKey, string @namespace, string trigger, bool isDelete, CancellationToken cancellationToken)
    {
        int status = await target.CheckTriggerAsync(authKey, @namespace, trigger, cancellationToken);
        return status >= 400 && !(isDelete && status == 404) ? Error("Trigger authentication request failed.") : null;
    }

    /// <summary>A new alarm from CREATE's parameters, checked as the package's web action checks them; null with <see cref="Parameters.Failure"/> set.</summary>
    private static AlarmSpec? Create(string feed, Parameters p, DateTimeOffset now)
    {
        RawJson payload = Payload(p.Raw("trigger_payload")) ?? RawJson.EmptyObject;
        var status = new AlarmStatus { Active = true, DateChanged = now.ToUnixTimeMilliseconds() };
        if (feed == "once")
        {
            if (!p.Truthy("date"))
            {
                return p.Fail("alarms once trigger feed is missing the date parameter");
            }

            if (!p.TryFutureDate("date", now, null, out RawJson date) || !p.TryDeleteAfterFire(out string? deleteAfterFire))
            {
                return null;
            }

            return new AlarmSpec { Payload = payload, Date = date, DeleteAfterFire = deleteAfterFire, Status = status };
        }

        int? minutes = null;
        string? cron = null;
        CronSchedule? schedule = null;
        if (feed == "interval")
        {
            if (!p.TryMinutes(out int value))
            {
                return null;
            }

            minutes = value;
        }
        else
        {
            if (!p.Truthy("cron"))
            {
                return p.Fail("alarms trigger feed is missing the cron parameter");
            }

            cron = p.String("cron");
            if (!CronSchedule.TryParse(cron, out schedule))
            {
                return p.Fail($"cron pattern '{p.Text("cron")}' is not valid");
            }
        }

        RawJson? startDate = null;
        if (p.Truthy("startDate"))
        {
            if (!p.TryFutureDate("startDate", now, null, out RawJson start))
            {
                return null;
            }

            startDate = start;
        }
        else if (minutes is not null)
        {
            // The package starts an interval without a start date 30 seconds from now (a start date must lie ahead).
            startDate = RawJson.FromInt64(now.ToUnixTimeMilliseconds() + 30_000);
        }

        RawJson? stopDate = null;
        if (p.Truthy("maxTriggers") && p.Truthy("stopDate"))
        {
            return p.Fail(minutes is not null
                ? "maxTriggers is not supported for the interval trigger feed"
                : "maxTriggers is not allowed when the stopDate parameter is specified");
        }

        if (p.Truthy("stopDate"))
        {
            if (!p.TryFutureDate("stopDate", now, startDate, out RawJson stop))
            {
                return null;
            }

            stopDate = stop;
            if (schedule?.Next(now) is { } first && AlarmTimes.TryParseDate(stop, out DateTimeOffset stopAt) && first > stopAt)
            {
                return p.Fail("the first scheduled trigger fire is not until after the stop date");
            }
        }

        return new AlarmSpec { Payload = payload, Cron = cron, Minutes = minutes, StartDate = startDate, StopDate = stopDate, Status = status };
    }

    /// <summary>UPDATE: the parameters the alarm's kind can change, checked as the package checks them; the alarm active again.</summary>
    private static AlarmSpec? Update(AlarmSpec alarm, Parameters p, DateTimeOffset now)
    {
        bool changed = false;
        RawJson payload = alarm.Payload;
        if (p.Truthy("trigger_payload") && Payload(p.Raw("trigger_payload")) is { } newPayload)
        {
            payload = newPayload;
            changed = true;
        }

        RawJson? date = alarm.Date;
        string? deleteAfterFire = alarm.DeleteAfterFire;
        int? minutes = alarm.Minutes;
        string? cron = alarm.Cron;
        RawJson? startDate = alarm.StartDate;
        RawJson? stopDate = alarm.StopDate;
        if (alarm.Date is not null)
        {
            if (p.Truthy("date"))
            {
                if (!p.TryFutureDate("date", now, null, out RawJson newDate))
                {
                    return null;
                }

                date = newDate;
                changed = true;
            }

            if (p.Truthy("deleteAfterFire"))
            {
                if (!p.TryDeleteAfterFire(out deleteAfterFire))
                {
                    return null;
                }

                changed = true;
            }
        }
        else
        {
            if (alarm.Minutes is not null && p.Truthy("minutes"))
            {
                if (!p.TryMinutes(out int newMinutes))
                {
                    return null;
                }

                minutes = newMinutes;
                changed = true;
            }
            else if (alarm.Minutes is null && p.Truthy("cron"))
            {
                if (!CronSchedule.TryParse(p.String("cron"), out _))
                {
                    return p.Fail($"cron pattern '{p.Text("cron")}' is not valid");
                }

                cron = p.String("cron");
                changed = true;
            }

            if (p.Truthy("startDate"))
            {
                if (!p.TryFutureDate("startDate", now, null, out RawJson newStart))
                {
                    return null;
                }

                startDate = newStart;
                changed = true;
            }

            if (p.Truthy("stopDate"))
            {
                if (!p.TryFutureDate("stopDate", now, p.Truthy("startDate") ? startDate : alarm.StartDate, out RawJson newStop))
                {
                    return null;
                }

                stopDate = newStop;
                changed = true;
            }
            else if (p.Truthy("startDate") && alarm.StopDate is { } oldStop &&
                AlarmTimes.TryParseDate(startDate!.Value, out DateTimeOffset newStartAt) && AlarmTimes.TryParseDate(oldStop, out DateTimeOffset oldStopAt) &&
                newStartAt >= oldStopAt)
            {
                return p.Fail($"startDate parameter '{p.Text("startDate")}' must be less than the stopDate parameter '{Text(oldStop)}'");
            }
        }

        if (!changed)
        {
            return p.Fail("no updatable parameters were specified");
        }

        return new AlarmSpec
        {
            Payload = payload,
            Cron = cron,
            Minutes = minutes,
            Date = date,
            StartDate = startDate,
            StopDate = stopDate,
            DeleteAfterFire = deleteAfterFire,
            Status = new AlarmStatus { Active = true, DateChanged = now.ToUnixTimeMilliseconds() },
        };
    }

    /// <summary><c>trigger_payload</c>: an object as it is, a string as <c>{"payload":"…"}</c>; anything else none.</summary>
    private static RawJson? Payload(RawJson? value)
    {
        if (value is not { } raw || raw.Utf8.IsEmpty)
        {
            return null;
        }

        return raw.Utf8.Span[0] switch
        {
            (byte)'{' => raw,
            (byte)'"' when raw.Utf8.Length > 2 => Object("payload", raw),
            _ => null,
        };
    }

    /// <summary>READ's answer: the alarm's configuration and status, as the package's web action shows them.</summary>
    private static RawJson Describe(string @namespace, string trigger, AlarmSpec alarm)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new JsonWriter(output);
        writer.WriteRaw("{\"config\":{\"name\":"u8);
        writer.WriteString(trigger);
        writer.WriteRaw(",\"namespace\":"u8);
        writer.WriteString(@namespace);
        writer.WriteRaw(",\"payload\":"u8);
        alarm.Payload.WriteJson(ref writer);
        if (alarm.Date is { } date)
        {
            Member(ref writer, ",\"date\":"u8, date);
            if (alarm.DeleteAfterFire is { } deleteAfterFire)
            {
                writer.WriteRaw(",\"deleteAfterFire\":"u8);
                writer.WriteString(deleteAfterFire);
            }
        }
        else
        {
            Member(ref writer, ",\"startDate\":"u8, alarm.StartDate);
            Member(ref writer, ",\"stopDate\":"u8, alarm.StopDate);
            if (alarm.Minutes is { } minutes)
            {
                writer.WriteRaw(",\"minutes\":"u8);
                writer.WriteInt32(minutes);
            }
            else
            {
                writer.WriteRaw(",\"cron\":"u8);
                writer.WriteString(alarm.Cron ?? string.Empty);
            }
        }

        writer.WriteRaw("},\"status\":{\"active\":"u8);
        writer.WriteBoolean(alarm.Status.Active);
        writer.WriteRaw(",\"dateChanged\":"u8);
        writer.WriteInt64(alarm.Status.DateChanged);
        writer.WriteRaw(",\"dateChangedISO\":"u8);
        writer.WriteString(AlarmTimes.Iso(alarm.Status.DateChanged));
        if (alarm.Status.Reason is { } reason)
        {
            writer.WriteRaw(",\"reason\":"u8);
            reason.WriteJson(ref writer);
        }

        writer.WriteRaw("}}"u8);
        writer.Flush();
        return RawJson.FromTrusted(output.WrittenMemory);

        static void Member(ref JsonWriter writer, ReadOnlySpan<byte> name, RawJson? value)
        {
            if (value is { } present)
            {
                writer.WriteRaw(name);
                present.WriteJson(ref writer);
            }
        }
    }

    private static AlarmSpec With(AlarmSpec alarm, AlarmStatus status) => new()
    {
        Payload = alarm.Payload,
        Cron = alarm.Cron,
        Minutes = alarm.Minutes,
        Date = alarm.Date,
        StartDate = alarm.StartDate,
        StopDate = alarm.StopDate,
        DeleteAfterFire = alarm.DeleteAfterFire,
        Status = status,
    };

    private static AlarmFeedResult Success() => new(true, Object("status", RawJson.FromString("success")));

    private static AlarmFeedResult Error(string error, string? message = null)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new JsonWriter(output);
        writer.WriteRaw("{\"error\":{\"error\":"u8);
        writer.WriteString(error);
        if (message is not null)
        {
            writer.WriteRaw(",\"message\":"u8);
            writer.WriteString(message);
        }

        writer.WriteRaw("}}"u8);
        writer.Flush();
        return new AlarmFeedResult(false, RawJson.FromTrusted(output.WrittenMemory));
    }

    private static RawJson Object(string name, RawJson value)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new JsonWriter(output);
        writer.WriteByte((byte)'{');
        writer.WriteString(name);
        writer.WriteByte((byte)':');
        value.WriteJson(ref writer);
        writer.WriteByte((byte)'}');
        writer.Flush();
        return RawJson.FromTrusted(output.WrittenMemory);
    }

    /// <summary>A value as JavaScript's template literal prints it: a string's text, anything else its JSON.</summary>
    private static string Text(RawJson value) =>
        value.Utf8.Span is [(byte)'"', ..] ? JsonDocument.Parse(value.Utf8).RootElement.GetString()! : value.ToString();

    /// <summary>The invocation's parameters, read with JavaScript's notions of present (truthy) and of text, and the first failure.</summary>
    private sealed class Parameters(JsonElement root)
    {
        public string? Failure { get; private set; }

        public AlarmSpec? Fail(string failure)
        {
            Failure = failure;
            return null;
        }

        public bool TryFail(string failure)
        {
            Failure = failure;
            return false;
        }

        public bool Truthy(string name) => Element(name) is { } value && value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!.Length > 0,
            JsonValueKind.Number => value.GetDouble() != 0,
            JsonValueKind.True or JsonValueKind.Object or JsonValueKind.Array => true,
            _ => false,
        };

        public string? String(string name) => Element(name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

        public string Text(string name) => Element(name) is { } value
            ? value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText()
            : "undefined";

        public RawJson? Raw(string name) => Element(name) is { } value ? RawJson.Parse(System.Text.Encoding.UTF8.GetBytes(value.GetRawText())) : null;

        /// <summary><c>minutes</c>: present, an integer (a number or its text), above zero.</summary>
        public bool TryMinutes(out int minutes)
        {
            minutes = 0;
            if (!Truthy("minutes"))
            {
                return TryFail("interval trigger feed is missing the minutes parameter");
            }

            string text = Text("minutes").Trim();
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double number) || number != Math.Truncate(number) || number > int.MaxValue)
            {
                return TryFail("the minutes parameter must be an integer");
            }

            if (number <= 0)
            {
                return TryFail("the minutes parameter must be an integer greater than zero");
            }

            minutes = (int)number;
            return true;
        }

        /// <summary>The package's validateDate: a date, in the future, and after <paramref name="startDate"/> when there is one.</summary>
        public bool TryFutureDate(string name, DateTimeOffset now, RawJson? startDate, out RawJson date)
        {
            date = Raw(name) ?? RawJson.Null;
            if (!AlarmTimes.TryParseDate(date, out DateTimeOffset at))
            {
                return TryFail($"{name} parameter '{Text(name)}' is not a valid Date");
            }

            if (now >= at)
            {
                return TryFail($"{name} parameter '{Text(name)}' must be in the future");
            }

            if (startDate is { } start && AlarmTimes.TryParseDate(start, out DateTimeOffset startAt) && at <= startAt)
            {
                return TryFail($"{name} parameter '{Text(name)}' must be greater than the startDate parameter '{AlarmFeed.Text(start)}'");
            }

            return true;
        }

        public bool TryDeleteAfterFire(out string? deleteAfterFire)
        {
            deleteAfterFire = null;
            if (!Truthy("deleteAfterFire"))
            {
                return true;
            }

            string value = Text("deleteAfterFire").Trim().ToLowerInvariant();
            if (!s_deleteAfterFire.Contains(value))
            {
                return TryFail("deleteAfterFire parameter must be one of [false, true, rules].");
            }

            deleteAfterFire = value;
            return true;
        }

        private JsonElement? Element(string name) =>
            root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out JsonElement value) && value.ValueKind != JsonValueKind.Null ? value : null;
    }
}
