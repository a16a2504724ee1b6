namespace Perf.Invoker.Tests.Support;

/// <summary>
/// Waits for asynchronous work to land (a removal, a release, a completion). Bounded, so a bug fails the
/// test instead of hanging it; the bound is generous because it is never a timing assertion.
/// </summary>
internal static class Eventually
{
    public static async Task True(Func<bool> condition, string what, int seconds = 30)
    {
        for (int i = 0; i < seconds * 100 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition(), what);
    }
}
