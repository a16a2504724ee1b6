using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perf.Invoker.Benchmarks.Feed;

namespace Perf.Invoker.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project bench/Perf.Invoker.Benchmarks -- --filter '*Json*'</c> for a full run;
/// add <c>--smoke</c> for the one-iteration in-process check that the test command runs in CI.
/// <c>-- --feed-throughput [--messages N] [--runs R]</c>: activations per second through the Kafka feed (KafkaFeedThroughput).
/// <c>-- --http-client …</c> / <c>-- --http-server PORT</c>: the cross-process HTTP client measurement (bench/http/run.sh).
/// <c>-- --serve-load --invoker PATH …</c>: a published <c>invoker serve</c> end to end at a fixed rate (ServeLoad).
/// <c>-- --e2e-chart sweep|soak --csv FILE --out PATH</c>: the PNG charts of bench/e2e/sweep.sh and soak.sh (E2eCharts).
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Contains("--feed-throughput"))
        {
            await KafkaFeedThroughput.RunAsync(IntOption(args, "--messages", 200_000), IntOption(args, "--runs", 5), Console.Out);
            return 0;
        }

        if (args.Contains("--http-client"))
        {
            return await Http.HttpClientDriver.RunAsync(args, Console.Out);
        }

        if (args.Contains("--http-server"))
        {
            return Http.HttpClientDriver.Serve(args, Console.Out);
        }

        if (args.Contains("--serve-load"))
        {
            await Serve.ServeLoad.RunAsync(args, Console.Out);
            return 0;
        }

        if (args.Contains("--e2e-chart"))
        {
            E2e.E2eCharts.Run(args);
            return 0;
        }

        bool smoke = args.Contains("--smoke");
        args = [.. args.Where(a => a != "--smoke")];
        IConfig config = smoke
            ? DefaultConfig.Instance.AddJob(Job.Dry.WithToolchain(InProcessEmitToolchain.Instance)).WithOptions(ConfigOptions.DisableLogFile)
            : DefaultConfig.Instance;
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
        if (smoke && KafkaFeedThroughput.IsSelectedBy(args))
        {
            // A few thousand messages: it only has to run end to end (a failure throws and fails the smoke run).
            await KafkaFeedThroughput.RunAsync(messages: 2000, runs: 1, Console.Out);
        }

        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }

    private static int IntOption(string[] args, string name, int fallback)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }
}
