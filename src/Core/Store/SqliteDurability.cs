namespace Perf.Invoker.Store;

/// <summary>
/// What a committed write survives. Both run the database in WAL mode; they differ in SQLite's
/// <c>synchronous</c> setting, i.e. whether a commit waits for fsync.
/// </summary>
public enum SqliteDurability
{
    /// <summary>
    /// <c>synchronous=NORMAL</c>: a commit is a write() to the WAL, fsync happens only at checkpoints.
    /// Survives the process being killed (kill -9, crash, OOM): the data is in the OS page cache and
    /// the next open replays the WAL. A power loss or kernel panic may lose the last commits. The
    /// embedded default, because the embedded feed's contract is "accepted before the API answers,
    /// replayed after a crash" and a commit costs microseconds instead of an fsync (milliseconds).
    /// </summary>
    ProcessCrash,

    /// <summary><c>synchronous=FULL</c>: every commit fsyncs the WAL; also survives power loss, at the cost of one fsync per commit.</summary>
    PowerLoss,
}
