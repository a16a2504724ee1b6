using System.Globalization;
using System.Text.Json;
using Perf.Invoker.Json;
using Perf.Invoker.Model;

namespace Perf.Invoker.Alarms;

/// <summary>When an alarm fires next, as the alarms provider schedules each kind (openwhisk-package-alarms provider/lib).</summary>
public static class AlarmTimes
{
    /// <summary>
    /// The first fire after <paramref name="after"/>, or null when there is none (a stop date reached, a date passed):
    /// a cron alarm at the pattern's next match from its start date on; an interval alarm at its start date and every
    /// <c>minutes</c> after it; a date alarm at its date.
    /// </summary>
    public static DateTimeOffset? Next(AlarmSpec alarm, DateTimeOffset after)
    {
        DateTimeOffset? next;
        if (alarm.Date is { } date)
        {
            next = TryParseDate(date, out DateTimeOffset at) && at > after ? at : null;
        }
        else if (alarm.Minutes is { } minutes)
        {
            if (alarm.StartDate is not { } startValue || !TryParseDate(startValue, out DateTimeOffset start))
            {
                return null;
            }

            var interval = TimeSpan.FromMinutes(minutes);
            next = after < start ? start : start + (interval * (Math.Floor((after - start) / interval) + 1));
        }
        else if (CronSchedule.TryParse(alarm.Cron, out CronSchedule? cron))
        {
            DateTimeOffset from = alarm.StartDate is { } startValue && TryParseDate(startValue, out DateTimeOffset start) && start > after ? start : after;
            next = cron.Next(from);
        }
        else
        {
            return null;
        }

        return next is { } fire && alarm.StopDate is { } stopValue && TryParseDate(stopValue, out DateTimeOffset stop) && fire > stop ? null : next;
    }

    /// <summary>A date as the alarms feed takes one (JavaScript's <c>new Date(x)</c>): epoch milliseconds, or an ISO 8601 string.</summary>
    public static bool TryParseDate(RawJson value, out DateTimeOffset date)
    {
        date = default;
        try
        {
            var reader = new Utf8JsonReader(value.Utf8.Span);
            reader.Read();
            switch (reader.TokenType)
            {
                case JsonTokenType.Number when reader.TryGetDouble(out double millis) && Math.Abs(millis) <= 8.64e15:
                    date = DateTimeOffset.UnixEpoch.AddMilliseconds(Math.Truncate(millis));
                    return true;
                case JsonTokenType.String:
                    return TryParseIso(reader.GetString()!, out date);
                default:
                    return false;
            }
        }
        catch (Exception e) when (e is JsonException or ArgumentOutOfRangeException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>ISO 8601 dates and date-times; without an offset they are UTC, as the alarms feed's dates are meant.</summary>
    private static bool TryParseIso(string text, out DateTimeOffset date) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out date);

    /// <summary>The ISO form the alarms feed's READ shows a change time in: <c>2026-12-07T13:01:50Z</c>.</summary>
    public static string Iso(long epochMillis) =>
        DateTimeOffset.FromUnixTimeMilliseconds(epochMillis).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
