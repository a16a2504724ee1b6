using System.Globalization;

namespace Perf.Invoker.Benchmarks.E2e;

/// <summary>
/// A CSV file as bench/e2e/sweep.sh and soak.sh write it: one header line, then plain comma-separated values
/// (no quoting: the scripts write only names and numbers), read by column name.
/// </summary>
internal sealed class CsvTable
{
    private readonly string[] _header;
    private readonly string[][] _rows;

    private CsvTable(string[] header, string[][] rows)
    {
        _header = header;
        _rows = rows;
    }

    public static CsvTable Read(string path)
    {
        string[] lines = [.. File.ReadAllLines(path).Where(l => l.Length > 0)];
        return new CsvTable(lines[0].Split(','), [.. lines.Skip(1).Select(l => l.Split(','))]);
    }

    /// <summary>The rows whose column <paramref name="name"/> holds <paramref name="value"/>.</summary>
    public CsvTable Where(string name, string value)
    {
        int at = Index(name);
        return new CsvTable(_header, [.. _rows.Where(r => r[at] == value)]);
    }

    public string[] Text(string name)
    {
        int at = Index(name);
        return [.. _rows.Select(r => r[at])];
    }

    /// <summary>The column as numbers; an empty cell (a figure the run could not take) is NaN, which ScottPlot leaves out.</summary>
    public double[] Numbers(string name) =>
        [.. Text(name).Select(v => v.Length == 0 ? double.NaN : double.Parse(v, CultureInfo.InvariantCulture))];

    private int Index(string name)
    {
        int at = Array.IndexOf(_header, name);
        return at >= 0 ? at : throw new ArgumentException($"no column '{name}' in [{string.Join(", ", _header)}]");
    }
}
