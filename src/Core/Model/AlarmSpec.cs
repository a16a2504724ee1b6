using Perf.Invoker.Json;

namespace Perf.Invoker.Model;

/// <summary>
/// One trigger's alarm, the document the alarms package's provider keeps (openwhisk-package-alarms): what to fire with,
/// when (exactly one of <see cref="Cron"/>, <see cref="Minutes"/>, <see cref="Date"/>), and whether it still fires.
/// Dates are kept as the caller gave them (epoch milliseconds or an ISO 8601 string), as the feed's READ shows them.
/// </summary>
[JsonModel]
public sealed partial class AlarmSpec
{
    /// <summary>The parameters each fire carries (<c>trigger_payload</c>, a string wrapped as <c>{"payload":…}</c>).</summary>
    public required RawJson Payload { get; init; }

    public string? Cron { get; init; }

    public int? Minutes { get; init; }

    public RawJson? Date { get; init; }

    public RawJson? StartDate { get; init; }

    public RawJson? StopDate { get; init; }

    /// <summary>For <see cref="Date"/> alarms: <c>false</c>, <c>true</c> (delete the trigger) or <c>rules</c> (and its rules).</summary>
    public string? DeleteAfterFire { get; init; }

    public required AlarmStatus Status { get; init; }
}

/// <summary>Whether an alarm fires, since when, and why not when it was switched off automatically.</summary>
[JsonModel]
public sealed partial class AlarmStatus
{
    public required bool Active { get; init; }

    /// <summary>Epoch milliseconds.</summary>
    public required long DateChanged { get; init; }

    public AlarmReason? Reason { get; init; }
}

/// <summary><c>{"kind":"AUTO","statusCode":404,"message":"…"}</c>.</summary>
[JsonModel]
public sealed partial class AlarmReason
{
    public required string Kind { get; init; }

    public int? StatusCode { get; init; }

    public required string Message { get; init; }
}
