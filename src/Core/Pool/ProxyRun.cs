using Perf.Invoker.ActionProtocol;

namespace Perf.Invoker.Pool;

/// <summary>What running one activation in a container produced.</summary>
internal readonly record struct ProxyRun(
    ActionResponse Response,
    DateTimeOffset Start,
    DateTimeOffset End,
    long? InitMillis,
    string[] Logs,
    bool Destroy,
    bool TimedOut)
{
    public static ProxyRun Failed(ActionResponse response, bool destroy, long? initMillis = null, bool timedOut = false)
    {
        return new ProxyRun(response, default, default, initMillis, [], destroy, timedOut);
    }
}
