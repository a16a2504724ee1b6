using System.Globalization;
using ScottPlot;

namespace Perf.Invoker.Benchmarks.E2e;

/// <summary>
/// PNG charts of bench/e2e/sweep.sh and soak.sh, from the CSV each writes (bench/results).
/// <c>-- --e2e-chart sweep --csv e2e-sweep.csv --out PREFIX</c>: PREFIX-requests.png (requests/s against connections)
/// and PREFIX-p99.png (p99 against connections), one panel per action, the invoker beside the bare runtime, log-log.
/// <c>-- --e2e-chart soak --csv soak.csv --out soak.png</c>: requests/s, p99 and RSS against time, three panels.
/// </summary>
internal static class E2eCharts
{
    private const int Width = 1200, Height = 500;

    public static void Run(string[] args)
    {
        string kind = Option(args, "--e2e-chart") ?? throw new ArgumentException("--e2e-chart sweep|soak");
        CsvTable table = CsvTable.Read(Option(args, "--csv") ?? throw new ArgumentException("--csv FILE is required"));
        string output = Option(args, "--out") ?? throw new ArgumentException("--out PATH is required");
        switch (kind)
        {
            case "sweep":
                DrawSweep(table, "requests/s", "invoker_rps", "bare_rps", physicalLimit: true).SavePng(output + "-requests.png", Width, Height);
                DrawSweep(table, "p99 latency (ms)", "invoker_p99_ms", "bare_p99_ms", physicalLimit: false).SavePng(output + "-p99.png", Width, Height);
                break;
            case "soak":
                DrawSoak(table).SavePng(output, Width, 900);
                break;
            default:
                throw new ArgumentException($"--e2e-chart {kind}: sweep or soak");
        }
    }

    /// <summary>One panel per action (in the CSV's order): the invoker and the bare runtime against connections.</summary>
    private static Multiplot DrawSweep(CsvTable table, string what, string invokerColumn, string bareColumn, bool physicalLimit)
    {
        string[] actions = [.. table.Text("action").Distinct()];
        var multiplot = new Multiplot();
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        multiplot.AddPlots(actions.Length);
        for (int i = 0; i < actions.Length; i++)
        {
            CsvTable rows = table.Where("action", actions[i]);
            double[] connections = rows.Numbers("connections");
            Plot plot = multiplot.GetPlot(i);
            var series = new List<(string Label, double[] Values)>
            {
                ("invoker", rows.Numbers(invokerColumn)),
                ("bare runtime", rows.Numbers(bareColumn)),
            };
            if (physicalLimit && actions[i] == "async")
            {
                // Each connection can complete at most one 175 ms activation per 175 ms.
                series.Add(("physical limit (connections / 0.175 s)", [.. connections.Select(c => c / 0.175)]));
            }

            foreach ((string label, double[] values) in series)
            {
                var scatter = plot.Add.Scatter(connections.Select(Math.Log10).ToArray(), values.Select(Math.Log10).ToArray());
                scatter.LegendText = label;
                scatter.MarkerSize = 7;
                if (label.StartsWith("physical", StringComparison.Ordinal))
                {
                    scatter.LinePattern = LinePattern.Dashed;
                    scatter.MarkerSize = 0;
                }
            }

            plot.Title($"{(actions[i] == "async" ? "175 ms action" : "no-op action")}: {what}");
            plot.XLabel("connections (log)");
            plot.YLabel(what + " (log)");
            LogTicks(plot.Axes.Bottom, connections);
            LogTicks(plot.Axes.Left, [.. series.SelectMany(s => s.Values)]);
            plot.ShowLegend(Alignment.UpperLeft);
        }

        return multiplot;
    }

    /// <summary>Three panels sharing the time axis: requests/s, p99 and RSS of each 10 s window.</summary>
    private static Multiplot DrawSoak(CsvTable table)
    {
        double[] minutes = [.. table.Numbers("seconds").Select(s => s / 60)];
        (string Column, string Label)[] panels =
        [
            ("rps", "requests/s"),
            ("p99_ms", "p99 latency (ms)"),
            ("rss_mib", "invoker RSS (MiB)"),
        ];
        var multiplot = new Multiplot();
        multiplot.AddPlots(panels.Length);
        for (int i = 0; i < panels.Length; i++)
        {
            Plot plot = multiplot.GetPlot(i);
            var scatter = plot.Add.Scatter(minutes, table.Numbers(panels[i].Column));
            scatter.MarkerSize = 5;
            plot.YLabel(panels[i].Label);
            plot.XLabel("minutes");
        }

        // The GC heap beside RSS once /metrics exports it (soak.sh leaves the column empty until then).
        double[] heap = table.Numbers("gc_heap_mib");
        if (heap.Any(double.IsFinite))
        {
            Plot memory = multiplot.GetPlot(panels.Length - 1);
            memory.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().Single().LegendText = "RSS";
            var gc = memory.Add.Scatter(minutes, heap);
            gc.MarkerSize = 5;
            gc.LegendText = "GC heap";
            memory.YLabel("invoker memory (MiB)");
            memory.ShowLegend(Alignment.LowerRight);
        }

        foreach (Plot plot in multiplot.GetPlots())
        {
            plot.Axes.AutoScale();
            // From zero on both axes, so a drift shows at its true size and not magnified by a tight auto-scale.
            AxisLimits limits = plot.Axes.GetLimits();
            plot.Axes.SetLimits(0, limits.Right, 0, limits.Top * 1.1);
        }

        multiplot.GetPlot(0).Title("soak: 175 ms action, 200 connections, 10 s windows");
        return multiplot;
    }

    /// <summary>
    /// Ticks for an axis holding log10 values: labelled at 1, 2 and 5 of each decade in the data's range (at every
    /// integer multiple where that range is narrower than a few of those), since ScottPlot's own ticks on log values
    /// fall only on decades, and a range such as 175–300 ms holds none.
    /// </summary>
    private static void LogTicks(IAxis axis, double[] values)
    {
        double[] finite = [.. values.Where(v => v > 0 && double.IsFinite(v))];
        if (finite.Length == 0)
        {
            return;
        }

        double low = finite.Min() / 1.2, high = finite.Max() * 1.2;
        List<double> Candidates(int[] steps)
        {
            var ticks = new List<double>();
            for (double decade = Math.Pow(10, Math.Floor(Math.Log10(low))); decade <= high; decade *= 10)
            {
                ticks.AddRange(steps.Select(s => s * decade).Where(t => t >= low && t <= high));
            }

            return ticks;
        }

        List<double> chosen = Candidates([1, 2, 5]);
        if (chosen.Count < 3)
        {
            chosen = Candidates([1, 2, 3, 4, 5, 6, 7, 8, 9]);
        }

        axis.SetTicks([.. chosen.Select(Math.Log10)], [.. chosen.Select(t => t.ToString("0.###", CultureInfo.InvariantCulture))]);
        axis.Min = Math.Log10(low);
        axis.Max = Math.Log10(high);
    }

    private static string? Option(string[] args, string name)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }
}
