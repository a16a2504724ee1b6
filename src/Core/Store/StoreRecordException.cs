namespace Perf.Invoker.Store;

/// <summary>
/// A stored row that cannot be read back (corrupt JSON, wrong shape). Names the row so that an operator
/// can find and delete it; thrown to the caller of the one operation, never fatal to the process.
/// </summary>
public sealed class StoreRecordException : Exception
{
    public StoreRecordException(string table, string key, Exception? innerException)
        : base($"The {table} row '{key}' in the store is unreadable: {innerException?.Message}", innerException)
    {
        Table = table;
        Key = key;
    }

    /// <summary><c>activations</c>, <c>actions</c> or <c>queue</c>.</summary>
    public string Table { get; }

    /// <summary>The row's key: an activation id, <c>namespace/name</c> or a queue sequence number.</summary>
    public string Key { get; }
}
