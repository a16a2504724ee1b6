namespace Perf.Invoker.Http;

/// <summary>What the pool gives a request: an idle connection, a slot to open one in (no connection), or a failure.</summary>
internal readonly record struct Http1PoolGrant(Http1Connection? Connection, Http1Outcome Outcome)
{
    /// <summary>A slot is held and no connection comes with it: the request opens one.</summary>
    public static Http1PoolGrant Slot => new(null, Http1Outcome.Ok);
}
