using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Perf.Invoker.Feed;

/// <summary>
/// How the feed's parts (<see cref="OffsetTracker"/>, <see cref="CreditWindow"/>, <see cref="MessageFeed"/>) report misuse:
/// programmer errors only, kept out of line so that the per-activation methods stay small.
/// </summary>
internal static class FeedUsageErrors
{
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowOffsetNotIncreasing(long offset, long next) =>
        throw new InvalidOperationException($"Offset {offset} was tracked after offset {next - 1}: a partition's offsets must increase.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowOffsetNotInFlight(long offset) =>
        throw new InvalidOperationException($"Offset {offset} is not in flight: it was never tracked, or it was completed already.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowCreditNotTaken() =>
        throw new InvalidOperationException("A feed credit was returned that was not taken: each credit is returned exactly once.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowWindowFull() =>
        throw new InvalidOperationException("A feed credit was taken while the peek window was full.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowAlreadyRunning() =>
        throw new InvalidOperationException("A MessageFeed runs once.");
}
