using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Perf.Invoker.Http;

/// <summary>
/// How the HTTP/1.1 client reports misuse (a bad argument or option, a disposed response): programmer errors only,
/// everything a server can cause is an <see cref="Http1Outcome"/>.
/// </summary>
internal static class Http1UsageErrors
{
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowArgumentException(string message, string paramName) => throw new ArgumentException(message, paramName);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowArgumentOutOfRangeException(string paramName, string message) => throw new ArgumentOutOfRangeException(paramName, message);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowInvalidOperationException(string message) => throw new InvalidOperationException(message);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowResponseDisposed() => throw new ObjectDisposedException(nameof(Http1Response), "The response was disposed; its body went back to the pool.");
}
