namespace Perf.Invoker.Pool;

/// <summary>Where a container is in its life (docs/openwhisk.md §6).</summary>
public enum ProxyState
{
    /// <summary>A stem cell: started, serving no action yet.</summary>
    Prewarmed,

    /// <summary>Serving its action: starting, initializing or warm.</summary>
    Ready,

    /// <summary>Idle past the pause grace; resumed by the pool before it takes work again.</summary>
    Paused,

    /// <summary>Failed: takes no new work, lets what runs finish, then is removed.</summary>
    Draining,

    /// <summary>Destroyed or being destroyed; its memory is free.</summary>
    Removed,
}
