namespace Perf.Invoker.Http;

/// <summary>
/// A consistent snapshot of one pool's accounting, taken under its lock. When nothing is in flight,
/// <c>BusyConnections == 0</c>, <c>Waiters == 0</c> and
/// <c>OpenConnections == IdleConnections == ConnectionsOpened - ConnectionsClosed</c>.
/// </summary>
/// <param name="OpenConnections">Connections open or being opened; never more than MaxConnections.</param>
/// <param name="IdleConnections">Open connections parked in the pool, ready for reuse.</param>
/// <param name="BusyConnections">Open connections (or connection attempts) held by a request.</param>
/// <param name="Waiters">Requests queued for a connection because all of them are busy.</param>
/// <param name="ConnectionsOpened">Connections ever established.</param>
/// <param name="ConnectionsClosed">Connections ever closed.</param>
/// <param name="ConnectRefusals">Connection attempts refused (each retry counts).</param>
/// <param name="StaleRetries">Requests resent on a new connection because a reused one failed before any response byte.</param>
/// <param name="DeadIdleConnections">Idle connections found closed by the peer when taken for reuse, and dropped.</param>
public readonly record struct Http1PoolCounters(
    int OpenConnections,
    int IdleConnections,
    int BusyConnections,
    int Waiters,
    long ConnectionsOpened,
    long ConnectionsClosed,
    long ConnectRefusals,
    long StaleRetries,
    long DeadIdleConnections);
