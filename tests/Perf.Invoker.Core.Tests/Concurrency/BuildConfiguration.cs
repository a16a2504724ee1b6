namespace Perf.Invoker.Tests.Concurrency;

/// <summary>
/// An over-release trips SlotAllocator's Debug.Assert, which fails the test host fast in a Debug build before
/// the InvalidOperationException can be observed; those checks run in Release (test.sh builds Release).
/// </summary>
internal static class BuildConfiguration
{
#if DEBUG
    public const string? SkipWhenAssertsFailFast = "Debug.Assert fails fast on an over-release in Debug builds; run in Release.";

    /// <summary>The same fact as a value, for tests that only leave out their over-release steps.</summary>
    public static readonly bool AssertsFailFast = true;
#else
    public const string? SkipWhenAssertsFailFast = null;

    public static readonly bool AssertsFailFast = false;
#endif
}
