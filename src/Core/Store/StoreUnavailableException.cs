using Microsoft.Data.Sqlite;

namespace Perf.Invoker.Store;

/// <summary>
/// The database cannot take writes now: its disk is full, read-only or failing. Not a fault of the request or of the
/// invoker's code, and it passes once the operator gives the space or the disk back: the REST API answers 503 with
/// <see cref="Reason"/>, and an activation's record is written again until it is stored (docs/reliability.md).
/// </summary>
public sealed class StoreUnavailableException : Exception
{
    private StoreUnavailableException(string reason, SqliteException innerException)
        : base($"The store cannot take writes: {reason} ({innerException.Message})", innerException) => Reason = reason;

    /// <summary>What the operator must fix, in words: "the disk is full", "the data directory is read-only", ….</summary>
    public string Reason { get; }

    /// <summary>The exception a failed write surfaces as: this one for SQLite's codes of an unwritable disk, else <paramref name="e"/>.</summary>
    internal static Exception Classify(Exception e) => e is SqliteException sqlite && ReasonFor(sqlite.SqliteErrorCode & 0xFF) is { } reason
        ? new StoreUnavailableException(reason, sqlite)
        : e;

    private static string? ReasonFor(int primaryCode) => primaryCode switch
    {
        13 => "the disk is full",
        8 => "the data directory is read-only",
        10 => "the disk failed a read or write",
        14 => "the database file cannot be opened",
        _ => null,
    };
}
