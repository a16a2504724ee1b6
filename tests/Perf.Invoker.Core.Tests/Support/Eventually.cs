using System.Diagnostics;

namespace Perf.Invoker.Tests.Support;

/// <summary>
/// The one bounded wait of the tests: for asynchronous work to land (a removal, a release, a completion, a record in a
/// store). Bounded, so a bug fails the test instead of hanging it; the bound is generous because it is never a timing
/// assertion (no test asserts how long anything takes, and a loaded CI machine must not fail one).
/// </summary>
internal static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="what"/> once <paramref name="seconds"/> have passed.</summary>
    /// <param name="pollMilliseconds">Between looks; longer for a condition that is costly to check (a query, a file read).</param>
    public static Task True(Func<bool> condition, string what, int seconds = 30, int pollMilliseconds = 10) =>
        True(() => ValueTask.FromResult(condition()), what, seconds, pollMilliseconds);

    /// <summary>The same for a condition that must itself wait (an HTTP request, a query).</summary>
    public static async Task True(Func<ValueTask<bool>> condition, string what, int seconds = 30, int pollMilliseconds = 10)
    {
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(seconds), $"still false after {seconds} s: {what}");
            await Task.Delay(pollMilliseconds);
        }
    }
}
