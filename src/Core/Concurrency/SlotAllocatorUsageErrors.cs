using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Perf.Invoker.Concurrency;

/// <summary>
/// How <see cref="SlotAllocator"/> reports misuse (a release without an acquire, a negative capacity): cold throw paths,
/// kept out of line so that the CAS loops that call them stay small and inlinable.
/// </summary>
internal static class SlotAllocatorUsageErrors
{
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowReleaseWithoutAcquire() =>
        throw new InvalidOperationException(
            "SlotAllocator.Release was called with no slot in flight: each successful TryAcquire must be released exactly once.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowCapacityOutOfRange(int capacity) =>
        throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "A slot capacity cannot be negative.");
}
