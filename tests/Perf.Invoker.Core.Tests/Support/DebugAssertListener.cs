using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Perf.Invoker.Tests.Support;

/// <summary>
/// Makes a failed <c>Debug.Assert</c> (or <c>Debug.Fail</c>) in a Debug build fail the test it fires in, visibly: the
/// default listener would end the whole test host (Environment.FailFast) and VSTest's own only throws. This one throws
/// too, so an assert on the test's own path fails that test; and since an assert that fires on a pool or feed thread
/// can be caught by the code around it, it also appends the failure to the file named by
/// <c>PERF_INVOKER_ASSERT_LOG</c> (test.sh's Debug pass fails when that file is not empty) and writes it to stderr.
/// Release builds compile the asserts out, so there this never runs.
/// </summary>
internal sealed class DebugAssertListener : TraceListener
{
    /// <summary>The message of <see cref="DebugAssertListenerTests"/>'s own assert: thrown, but neither logged nor written.</summary>
    internal const string SelfTest = "DebugAssertListenerTests: an assert that fails on purpose";

    private static readonly Lock s_gate = new();

    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries", Justification = "A test assembly: the listener must be in place before any test runs, and xunit 2 has no assembly-wide setup.")]
    internal static void Install()
    {
        Trace.Listeners.Clear();
        Trace.Listeners.Add(new DebugAssertListener());
    }

    public override void Fail(string? message) => Fail(message, null);

    public override void Fail(string? message, string? detailMessage)
    {
        if (message == SelfTest)
        {
            throw new DebugAssertFailedException(message);
        }

        string report = $"Debug.Assert failed: {message} {detailMessage}".TrimEnd() + Environment.NewLine + new StackTrace(1, fNeedFileInfo: true) + Environment.NewLine;
        lock (s_gate)
        {
            Console.Error.Write(report);
            if (Environment.GetEnvironmentVariable("PERF_INVOKER_ASSERT_LOG") is { Length: > 0 } log)
            {
                File.AppendAllText(log, report);
            }
        }

        throw new DebugAssertFailedException(report);
    }

    // Debug.WriteLine and Trace.Write: not wanted in the test output.
    public override void Write(string? message)
    {
    }

    public override void WriteLine(string? message)
    {
    }
}

/// <summary>A failed <c>Debug.Assert</c>: an invariant of the product code does not hold.</summary>
[SuppressMessage("Design", "CA1064:Exceptions should be public", Justification = "Only the tests see it, as the failure of one.")]
internal sealed class DebugAssertFailedException(string message) : Exception(message);

[Trait("Category", "Unit")]
public sealed class DebugAssertListenerTests
{
    [Fact]
    public void A_failed_Debug_Assert_reaches_only_the_throwing_listener() =>
        Assert.IsType<DebugAssertListener>(Assert.Single(Trace.Listeners.Cast<TraceListener>()));

    [Fact]
    public void A_failed_Debug_Assert_throws_in_a_Debug_build_and_is_compiled_out_in_Release()
    {
#if DEBUG
        var e = Assert.Throws<DebugAssertFailedException>(() => Debug.Assert(false, DebugAssertListener.SelfTest));
        Assert.Equal(DebugAssertListener.SelfTest, e.Message);
#else
        Debug.Assert(false, DebugAssertListener.SelfTest);
#endif
    }
}
