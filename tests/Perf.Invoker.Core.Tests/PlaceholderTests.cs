namespace Perf.Invoker.Tests;

public sealed class BuildTests
{
    [Fact]
    public void Core_Assembly_Loads() => Assert.NotNull(typeof(Perf.Invoker.Json.RawJson).Assembly);
}
