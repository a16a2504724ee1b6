using System.Globalization;

namespace Perf.Invoker.Host.Serve;

/// <summary>
/// Typesafe Config's durations as OpenWhisk's settings write them (<c>5 minutes</c>, <c>1 seconds</c>, <c>500 ms</c>,
/// <c>10s</c>): a number and a unit, milliseconds when the unit is left out.
/// </summary>
internal static class HoconDuration
{
    private static readonly Dictionary<string, TimeSpan> s_units = new(StringComparer.Ordinal)
    {
        ["ms"] = TimeSpan.FromMilliseconds(1), ["milli"] = TimeSpan.FromMilliseconds(1), ["millis"] = TimeSpan.FromMilliseconds(1),
        ["millisecond"] = TimeSpan.FromMilliseconds(1), ["milliseconds"] = TimeSpan.FromMilliseconds(1),
        ["s"] = TimeSpan.FromSeconds(1), ["second"] = TimeSpan.FromSeconds(1), ["seconds"] = TimeSpan.FromSeconds(1),
        ["m"] = TimeSpan.FromMinutes(1), ["minute"] = TimeSpan.FromMinutes(1), ["minutes"] = TimeSpan.FromMinutes(1),
        ["h"] = TimeSpan.FromHours(1), ["hour"] = TimeSpan.FromHours(1), ["hours"] = TimeSpan.FromHours(1),
        ["d"] = TimeSpan.FromDays(1), ["day"] = TimeSpan.FromDays(1), ["days"] = TimeSpan.FromDays(1),
    };

    /// <summary>The duration; false when <paramref name="text"/> is not one, or is negative or beyond a day's thousands.</summary>
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = default;
        ReadOnlySpan<char> span = text.AsSpan().Trim();
        int digits = 0;
        while (digits < span.Length && (char.IsAsciiDigit(span[digits]) || span[digits] == '.'))
        {
            digits++;
        }

        if (digits == 0 || !double.TryParse(span[..digits], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number))
        {
            return false;
        }

        string unit = span[digits..].Trim().ToString();
        if (!(unit.Length == 0 ? s_units.TryGetValue("ms", out TimeSpan scale) : s_units.TryGetValue(unit, out scale)) || number * scale.TotalDays > 10_000)
        {
            return false;
        }

        duration = scale * number;
        return true;
    }
}
