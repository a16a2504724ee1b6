namespace Perf.Invoker.Fuzz;

/// <summary>A parser returned, but not what its contract promises (the harness's oracle failed).</summary>
public sealed class ContractViolation(string message) : Exception(message)
{
    public static void Unless(bool condition, string what)
    {
        if (!condition)
        {
            throw new ContractViolation(what);
        }
    }
}
