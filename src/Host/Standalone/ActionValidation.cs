using Perf.Invoker.Model;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// What an action must satisfy before it is stored (400 with the reason otherwise): a runtime this invoker
/// has, code to run, and limits inside OpenWhisk's default ranges, with its words.
/// </summary>
internal sealed class ActionValidation(ConcurrencyRange concurrency)
{
    public const int MinTimeoutMillis = 100;
    public const int MaxTimeoutMillis = 300_000;

    /// <summary>OpenWhisk's, kept with the default limits in the model (the engine's memory setting reads the same one).</summary>
    public const int MinMemoryMegabytes = ExecutableAction.MinMemoryMegabytes;

    public const int MaxMemoryMegabytes = 512;
    public const int MaxLogsMegabytes = 10;

    /// <summary>Null when the action can be stored, otherwise why not.</summary>
    public string? Check(ActionSpec spec)
    {
        ActionExec exec = spec.Exec;
        if (!exec.Kind.StartsWith("nodejs:", StringComparison.Ordinal))
        {
            return $"kind '{exec.Kind}' is not supported: this invoker runs nodejs:* actions (nodejs:default, nodejs:20, …)";
        }

        if (string.IsNullOrEmpty(exec.Code))
        {
            return "exec.code is missing: an action needs code to run";
        }

        if (spec.Limits is { } limits)
        {
            if (limits.Timeout is { } timeout && Range("duration", timeout, MinTimeoutMillis, MaxTimeoutMillis, "milliseconds") is { } badTimeout)
            {
                return badTimeout;
            }

            if (limits.Memory is { } memory && Range("memory", memory, MinMemoryMegabytes, MaxMemoryMegabytes, "MB") is { } badMemory)
            {
                return badMemory;
            }

            if (limits.Logs is { } logs && Range("log size", logs, 0, MaxLogsMegabytes, "MB") is { } badLogs)
            {
                return badLogs;
            }

            if (limits.Concurrency is { } limit && concurrency.Check(limit) is { } badConcurrency)
            {
                return badConcurrency;
            }
        }

        return spec.MaxConcurrentAnnotation is { } annotated ? concurrency.Check(annotated) : null;
    }

    private static string? Range(string what, int value, int min, int max, string unit) =>
        value < min ? $"{what} {value} {unit} below allowed threshold of {min} {unit}"
        : value > max ? $"{what} {value} {unit} exceeds allowed threshold of {max} {unit}"
        : null;
}
