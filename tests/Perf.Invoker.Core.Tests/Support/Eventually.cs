namespace Perf.Invoker.Tests.Support;

/// <summary>
/// Waits for asynchronous work to land (a removal, a release, a completion). Bounded, so a bug fails the
/// test instead of hanging it; the bound is generous because it is never a timing assertion.
/// </summary>
internal static class Eventually
{
    /// <param name="pollMilliseconds">Between looks; longer for a condition that is costly to check (a query, a file read).</param>
    public static async Task True(Func<bool> condition, string what, int seconds = 30, int pollMilliseconds = 10)
    {
        for (int i = 0; i < seconds * 1000 / pollMilliseconds && !condition(); i++)
        {
            await Task.Delay(pollMilliseconds);
        }

        Assert.True(condition(), what);
    }
}
