using Perf.Invoker.Json;

namespace Perf.Invoker.Alarms;

/// <summary>What the alarms feed does to triggers, in the namespace's name: the REST API's fire, get and delete.</summary>
public interface IAlarmTarget
{
    /// <summary>The HTTP status <c>GET …/triggers/{trigger}</c> answers with <paramref name="authKey"/> (the feed's check that the caller owns the trigger).</summary>
    Task<int> CheckTriggerAsync(string authKey, string @namespace, string trigger, CancellationToken cancellationToken);

    /// <summary>Fires the trigger with <paramref name="payload"/> as <c>POST …/triggers/{trigger}</c> does; the HTTP status it answers.</summary>
    Task<int> FireAsync(string @namespace, string trigger, RawJson payload, CancellationToken cancellationToken);

    /// <summary>Deletes the trigger, and with <paramref name="withRules"/> the rules on it (a date alarm's <c>deleteAfterFire</c>).</summary>
    Task DeleteTriggerAsync(string @namespace, string trigger, bool withRules, CancellationToken cancellationToken);
}
