using System.Globalization;

namespace Perf.Invoker.Host.Serve;

/// <summary>
/// A size as OpenWhisk reads one from its configuration (Typesafe Config's <c>getBytes</c>, which its ByteSize reader
/// uses): a number and a unit, single letters and the <c>i</c> forms in powers of 1024 (<c>2048m</c>, <c>4 g</c>,
/// <c>512 MiB</c>), the two-letter SI forms in powers of 1000 (<c>512 MB</c> is 512 000 000 bytes), no unit bytes.
/// </summary>
internal static class HoconSize
{
    private static readonly Dictionary<string, long> s_units = Units();

    /// <summary>The size in bytes; false when <paramref name="text"/> is not a size or does not fit a long.</summary>
    public static bool TryParseBytes(string text, out long bytes)
    {
        bytes = 0;
        ReadOnlySpan<char> span = text.AsSpan().Trim();
        int digits = 0;
        while (digits < span.Length && (char.IsAsciiDigit(span[digits]) || span[digits] == '.'))
        {
            digits++;
        }

        if (!decimal.TryParse(span[..digits], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal number)
            || !s_units.TryGetValue(span[digits..].Trim().ToString(), out long unit))
        {
            return false;
        }

        try
        {
            decimal total = decimal.Truncate(number * unit);
            if (total > long.MaxValue)
            {
                return false;
            }

            bytes = (long)total;
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    private static Dictionary<string, long> Units()
    {
        var units = new Dictionary<string, long>(StringComparer.Ordinal) { [""] = 1, ["B"] = 1, ["b"] = 1, ["byte"] = 1, ["bytes"] = 1 };
        (string Letter, string Power, string Si, string Binary)[] scales =
            [("K", "kilo", "kB", "kibi"), ("M", "mega", "MB", "mebi"), ("G", "giga", "GB", "gibi"), ("T", "tera", "TB", "tebi")];
        long binary = 1;
        long si = 1;
        foreach ((string letter, string power, string siShort, string binaryPower) in scales)
        {
            binary *= 1024;
            si *= 1000;
            foreach (string name in new[] { letter, letter.ToLowerInvariant(), letter + "i", letter + "iB", binaryPower + "byte", binaryPower + "bytes" })
            {
                units[name] = binary;
            }

            foreach (string name in new[] { siShort, power + "byte", power + "bytes" })
            {
                units[name] = si;
            }
        }

        return units;
    }
}
