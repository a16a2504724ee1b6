namespace Perf.Invoker.Pool;

/// <summary>
/// What a <see cref="ContainerProxy"/> needs from whoever keeps it: a clock, a setting, and where to report that its
/// idle timer fired or that it is done. The proxy decides nothing about other containers; the owner does.
/// </summary>
internal interface IContainerProxyOwner
{
    /// <summary>The clock of every timer and timestamp, so that tests drive them without waiting.</summary>
    TimeProvider Time { get; }

    /// <summary>How long after its /run answer an activation waits for its log sentinels.</summary>
    TimeSpan LogSentinelWait { get; }

    /// <summary>The proxy's idle timer fired: pause it, or remove it when it was already paused.</summary>
    void OnIdleTimer(ContainerProxy proxy);

    /// <summary>Takes the proxy out of service and destroys it: its start failed, or it drained.</summary>
    void Remove(ContainerProxy proxy);
}
