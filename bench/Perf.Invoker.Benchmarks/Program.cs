using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Perf.Invoker.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project bench/Perf.Invoker.Benchmarks -- --filter '*Json*'</c> for a full run;
/// add <c>--smoke</c> for the one-iteration in-process check that the test command runs in CI.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        bool smoke = args.Contains("--smoke");
        args = [.. args.Where(a => a != "--smoke")];
        IConfig config = smoke
            ? DefaultConfig.Instance.AddJob(Job.Dry.WithToolchain(InProcessEmitToolchain.Instance)).WithOptions(ConfigOptions.DisableLogFile)
            : DefaultConfig.Instance;
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
