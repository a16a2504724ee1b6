using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Perf.Invoker.Alarms;

/// <summary>
/// A cron pattern of the alarms feed (openwhisk-package-alarms, in UTC): the five crontab fields
/// <c>minute hour day-of-month month day-of-week</c>, or six with a leading <c>second</c> field (the npm <c>cron</c>
/// package's form, which the alarms feed accepts). Each field is a list of <c>*</c>, <c>N</c>, <c>N-M</c>, each
/// optionally <c>/STEP</c>; months and weekdays also by their three-letter English names; weekday 7 is Sunday like 0.
/// As in crontab, when both day fields are restricted a day matching either one fires; a five-field pattern fires at
/// second 0.
/// </summary>
public sealed class CronSchedule
{
    /// <summary>A pattern that matches nothing in this many years from now is refused (29 February on a given weekday recurs within 28).</summary>
    private const int SearchYears = 30;

    private static readonly string[] s_months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    private static readonly string[] s_weekdays = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

    private readonly ulong _seconds;
    private readonly ulong _minutes;
    private readonly ulong _hours;
    private readonly ulong _daysOfMonth;
    private readonly ulong _months;
    private readonly ulong _daysOfWeek;

    /// <summary>crontab's rule: a field starting with '*' is unrestricted for the either-day rule.</summary>
    private readonly bool _anyDayOfMonth;
    private readonly bool _anyDayOfWeek;

    private CronSchedule(ulong seconds, ulong minutes, ulong hours, ulong daysOfMonth, ulong months, ulong daysOfWeek, bool anyDayOfMonth, bool anyDayOfWeek, bool hasSeconds)
    {
        _seconds = seconds;
        _minutes = minutes;
        _hours = hours;
        _daysOfMonth = daysOfMonth;
        _months = months;
        _daysOfWeek = daysOfWeek;
        _anyDayOfMonth = anyDayOfMonth;
        _anyDayOfWeek = anyDayOfWeek;
        HasSeconds = hasSeconds;
    }

    /// <summary>True for a six-field pattern.</summary>
    public bool HasSeconds { get; }

    public static bool TryParse(string? pattern, [NotNullWhen(true)] out CronSchedule? schedule)
    {
        schedule = null;
        string[] fields = (pattern ?? string.Empty).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length is not (5 or 6))
        {
            return false;
        }

        int offset = fields.Length - 5;
        ulong seconds = 1;
        if ((offset == 1 && !TryField(fields[0], 0, 59, null, out seconds)) ||
            !TryField(fields[offset], 0, 59, null, out ulong minutes) ||
            !TryField(fields[offset + 1], 0, 23, null, out ulong hours) ||
            !TryField(fields[offset + 2], 1, 31, null, out ulong daysOfMonth) ||
            !TryField(fields[offset + 3], 1, 12, s_months, out ulong months) ||
            !TryField(fields[offset + 4], 0, 7, s_weekdays, out ulong daysOfWeek))
        {
            return false;
        }

        // Weekday 7 is Sunday.
        if ((daysOfWeek & (1UL << 7)) != 0)
        {
            daysOfWeek = (daysOfWeek & ~(1UL << 7)) | 1;
        }

        var parsed = new CronSchedule(seconds, minutes, hours, daysOfMonth, months, daysOfWeek,
            fields[offset + 2].StartsWith('*'), fields[offset + 4].StartsWith('*'), offset == 1);
        if (parsed.Next(new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero)) is null)
        {
            // 31 February and the like: a pattern that never fires is as invalid as a malformed one.
            return false;
        }

        schedule = parsed;
        return true;
    }

    /// <summary>The first time after <paramref name="after"/> (strictly, to the second) the pattern matches, in UTC; null when none within decades.</summary>
    public DateTimeOffset? Next(DateTimeOffset after)
    {
        DateTime start = after.UtcDateTime;
        DateTime t = new DateTime(start.Year, start.Month, start.Day, start.Hour, start.Minute, start.Second, DateTimeKind.Utc).AddSeconds(1);
        int lastYear = start.Year + SearchYears;
        while (t.Year <= lastYear)
        {
            if (!Has(_months, t.Month))
            {
                t = new DateTime(t.Year, t.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(1);
            }
            else if (!DayMatches(t))
            {
                t = t.Date.AddDays(1);
            }
            else if (!Has(_hours, t.Hour))
            {
                t = t.Date.AddHours(t.Hour + 1);
            }
            else if (!Has(_minutes, t.Minute))
            {
                t = t.Date.AddHours(t.Hour).AddMinutes(t.Minute + 1);
            }
            else if (!Has(_seconds, t.Second))
            {
                t = t.AddSeconds(1);
            }
            else
            {
                return new DateTimeOffset(t, TimeSpan.Zero);
            }
        }

        return null;
    }

    private bool DayMatches(DateTime day)
    {
        bool dayOfMonth = Has(_daysOfMonth, day.Day);
        bool dayOfWeek = Has(_daysOfWeek, (int)day.DayOfWeek);
        return _anyDayOfMonth || _anyDayOfWeek ? dayOfMonth && dayOfWeek : dayOfMonth || dayOfWeek;
    }

    private static bool Has(ulong set, int value) => (set & (1UL << value)) != 0;

    private static bool TryField(string field, int min, int max, string[]? names, out ulong set)
    {
        set = 0;
        foreach (string item in field.Split(','))
        {
            string range = item;
            int step = 1;
            int slash = item.IndexOf('/', StringComparison.Ordinal);
            if (slash >= 0)
            {
                if (!int.TryParse(item.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out step) || step < 1)
                {
                    return false;
                }

                range = item[..slash];
            }

            int from;
            int to;
            if (range == "*")
            {
                (from, to) = (min, max);
            }
            else
            {
                int dash = range.IndexOf('-', StringComparison.Ordinal);
                if (!TryValue(dash < 0 ? range : range[..dash], min, max, names, out from))
                {
                    return false;
                }

                // "N/STEP" runs from N to the field's end, as the npm cron package reads it.
                to = dash < 0 ? (slash >= 0 ? max : from) : TryValue(range[(dash + 1)..], min, max, names, out int end) ? end : -1;
                if (to < from)
                {
                    return false;
                }
            }

            for (int value = from; value <= to; value += step)
            {
                set |= 1UL << value;
            }
        }

        return set != 0;
    }

    private static bool TryValue(string text, int min, int max, string[]? names, out int value)
    {
        if (names is not null)
        {
            int index = Array.FindIndex(names, name => name.Equals(text, StringComparison.OrdinalIgnoreCase));
            if (index >= 0)
            {
                // Months are numbered from 1, weekdays from 0.
                value = index + min;
                return true;
            }
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;
    }
}
