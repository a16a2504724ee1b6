using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Perf.Invoker.Exposition;

namespace Perf.Invoker.Tests.Exposition;

/// <summary>
/// A strict reader of the Prometheus text format 0.0.4 for tests: every line is a <c># HELP</c>, a <c># TYPE</c> or a
/// sample of a family declared above it, every value parses as a float; samples come back by <c>name{labels}</c>.
/// </summary>
internal static partial class PrometheusText
{
    public static string Write(InvokerMetricsWriter metrics)
    {
        var buffer = new ArrayBufferWriter<byte>();
        metrics.Write(buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static Dictionary<string, double> Parse(string text)
    {
        Assert.EndsWith("\n", text);
        var types = new Dictionary<string, string>();
        var helped = new HashSet<string>();
        var samples = new Dictionary<string, double>();
        foreach (string line in text[..^1].Split('\n'))
        {
            if (HelpLine().Match(line) is { Success: true } help)
            {
                Assert.True(helped.Add(help.Groups[1].Value), $"a second HELP: {line}");
                continue;
            }

            if (TypeLine().Match(line) is { Success: true } type)
            {
                Assert.True(helped.Contains(type.Groups[1].Value), $"TYPE before HELP: {line}");
                Assert.True(types.TryAdd(type.Groups[1].Value, type.Groups[2].Value), $"a second TYPE: {line}");
                continue;
            }

            Match sample = SampleLine().Match(line);
            Assert.True(sample.Success, $"not a sample line: '{line}'");
            string name = sample.Groups[1].Value;
            string family = types.ContainsKey(name) ? name : SuffixOf().Replace(name, "");
            Assert.True(types.TryGetValue(family, out string? familyType), $"a sample of an undeclared family: {line}");
            Assert.True(family == name || familyType == "histogram", $"a suffixed sample outside a histogram: {line}");
            string value = sample.Groups[3].Value;
            double number = value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                _ => double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            Assert.True(samples.TryAdd(name + sample.Groups[2].Value, number), $"a second sample: {line}");
        }

        return samples;
    }

    [GeneratedRegex("""^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .*$""")]
    private static partial Regex HelpLine();

    [GeneratedRegex("""^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$""")]
    private static partial Regex TypeLine();

    [GeneratedRegex("""^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*\})? (\S+)$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("_(bucket|sum|count)$")]
    private static partial Regex SuffixOf();
}
