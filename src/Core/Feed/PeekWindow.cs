namespace Perf.Invoker.Feed;

/// <summary>
/// How many activations an invoker takes from its feed before any complete (docs/openwhisk.md §7):
/// <c>maxContainers = userMemory / 128 MB</c>; <c>maxPeek = max(maxContainers, floor(maxContainers × concurrency.max × peekFactor))</c>.
/// </summary>
/// <remarks>
/// With a second topic, <c>invoker&lt;N&gt;concurrent</c>, each topic has its own feed and window. The single window's
/// <c>max</c> takes the larger of two needs because one window serves both kinds of action; two windows each take their
/// own: <c>invoker&lt;N&gt;</c>, whose actions run one per container, gets <see cref="NonConcurrentMaxPeek"/>
/// (<c>maxContainers</c>: more in flight could only wait in the pool's buffer), and <c>invoker&lt;N&gt;concurrent</c> keeps
/// <see cref="MaxPeek"/>. So in flight at most are <c>maxPeek + maxContainers</c>, never more than twice the single window,
/// and that sum bounds what a crash may re-run (docs/architecture.md §3 invariant 3).
/// </remarks>
public static class PeekWindow
{
    /// <summary>OpenWhisk's smallest action memory limit: the most containers the user memory could hold.</summary>
    public const long MinActionMemoryMegabytes = 128;

    /// <summary>OpenWhisk's <c>concurrentPeekFactor</c> default.</summary>
    public const double DefaultPeekFactor = 0.5;

    /// <summary><c>userMemory / 128 MB</c>, rounded down.</summary>
    public static long MaxContainers(long userMemoryMegabytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(userMemoryMegabytes);
        return userMemoryMegabytes / MinActionMemoryMegabytes;
    }

    /// <summary>The window of <c>invoker&lt;N&gt;</c> beside an <c>invoker&lt;N&gt;concurrent</c> feed: <see cref="MaxContainers"/>, capped at <see cref="int.MaxValue"/>.</summary>
    public static int NonConcurrentMaxPeek(long userMemoryMegabytes) => (int)Math.Min(MaxContainers(userMemoryMegabytes), int.MaxValue);

    /// <summary>
    /// <c>max(maxContainers, floor(maxContainers × concurrencyMax × peekFactor))</c>, capped at <see cref="int.MaxValue"/>.
    /// 0 when the user memory holds no container at all; a <see cref="MessageFeed"/> refuses a window of 0.
    /// </summary>
    /// <param name="userMemoryMegabytes">The pool's user memory in MB.</param>
    /// <param name="concurrencyMax">The system's <c>concurrency.max</c> (1 when concurrent activations are off).</param>
    /// <param name="peekFactor">OpenWhisk's <c>concurrentPeekFactor</c>, default 0.5.</param>
    public static int MaxPeek(long userMemoryMegabytes, int concurrencyMax, double peekFactor = DefaultPeekFactor)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrencyMax, 1);
        if (!(peekFactor >= 0) || double.IsInfinity(peekFactor))
        {
            throw new ArgumentOutOfRangeException(nameof(peekFactor), peekFactor, "The peek factor must be a finite number ≥ 0.");
        }

        long maxContainers = MaxContainers(userMemoryMegabytes);
        // In double: maxContainers × concurrencyMax may pass long's range before the factor scales it back.
        double concurrent = Math.Floor(maxContainers * (double)concurrencyMax * peekFactor);
        double peek = Math.Max(maxContainers, concurrent);
        return peek >= int.MaxValue ? int.MaxValue : (int)peek;
    }
}
