using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Perf.Invoker.Store;

/// <summary>
/// The embedded feed's durable queue (issue 5 part 5): an accepted activation message is committed here
/// before the API answers, and every message not completed is delivered again after a restart.
/// Sequence numbers increase strictly and are never reused (AUTOINCREMENT), even after the newest
/// messages were completed and deleted, so a consumer can treat them like Kafka offsets.
/// </summary>
public sealed class SqliteActivationQueue
{
    private const string InsertSql = "INSERT INTO queue(message) VALUES(?1);";
    private const string DeleteSql = "DELETE FROM queue WHERE seq = ?1;";
    private const string DeleteBelowSql = "DELETE FROM queue WHERE seq < ?1;";
    private const string TakeSql = "SELECT seq, message FROM queue WHERE seq > $after ORDER BY seq LIMIT $limit;";
    private const string CountSql = "SELECT count(*) FROM queue;";
    private const string LastSql = "SELECT coalesce(max(seq), 0) FROM queue;";

    private readonly SqliteDatabase _database;

    public SqliteActivationQueue(SqliteDatabase database) => _database = database;

    /// <summary>Appends <paramref name="message"/>; when this completes the message is committed (see <see cref="SqliteDurability"/>).</summary>
    /// <returns>The message's sequence number.</returns>
    public ValueTask<long> EnqueueAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default) =>
        _database.WriteAsync(message, static (session, message) =>
        {
            // Native statement: binds the caller's bytes (SQLite copies them) without an intermediate array.
            sqlite3_stmt insert = session.Statement(InsertSql);
            try
            {
                session.Check(message.IsEmpty ? raw.sqlite3_bind_zeroblob(insert, 1, 0) : raw.sqlite3_bind_blob(insert, 1, message.Span));
                session.StepToDone(insert);
                return raw.sqlite3_last_insert_rowid(session.Connection.Handle);
            }
            finally
            {
                SqliteSession.Reset(insert);
            }
        }, cancellationToken);

    /// <summary>
    /// Up to <paramref name="limit"/> messages not yet completed with a sequence number above
    /// <paramref name="afterSequence"/>, oldest first. A consumer starts from 0 (after a restart that
    /// replays every message not completed) and passes the last sequence it has taken.
    /// </summary>
    public ValueTask<IReadOnlyList<QueuedMessage>> TakeAsync(long afterSequence, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_database.Read((afterSequence, limit), static (session, query) =>
        {
            SqliteCommand take = session.Command(TakeSql, "$after", "$limit");
            take.Parameters[0].Value = query.afterSequence;
            take.Parameters[1].Value = query.limit;
            var messages = new List<QueuedMessage>(Math.Min(query.limit, 64));
            using SqliteDataReader reader = take.ExecuteReader();
            while (reader.Read())
            {
                messages.Add(new QueuedMessage(reader.GetInt64(0), reader.GetFieldValue<byte[]>(1)));
            }

            return (IReadOnlyList<QueuedMessage>)messages;
        }));
    }

    /// <summary>Marks a message completed (deletes it): it is not delivered again. Completing it twice is harmless.</summary>
    /// <returns>1 when the message was still queued, else 0.</returns>
    public ValueTask<int> CompleteAsync(long sequence, CancellationToken cancellationToken = default) =>
        DeleteAsync(DeleteSql, sequence, cancellationToken);

    /// <summary>
    /// Marks every message with a sequence number below <paramref name="sequence"/> completed: the commit of a
    /// feed's offset tracker (Kafka's semantics, the next sequence to consume), one statement for a whole batch.
    /// </summary>
    /// <returns>How many messages it completed: the queue is that much shorter.</returns>
    public ValueTask<int> CompleteBelowAsync(long sequence, CancellationToken cancellationToken = default) =>
        DeleteAsync(DeleteBelowSql, sequence, cancellationToken);

    /// <summary>Runs one of the DELETE statements with <paramref name="sequence"/> as its only parameter; the rows it deleted.</summary>
    private ValueTask<int> DeleteAsync(string sql, long sequence, CancellationToken cancellationToken) =>
        _database.WriteAsync((sql, sequence), static (session, command) =>
        {
            sqlite3_stmt delete = session.Statement(command.sql);
            try
            {
                session.Check(raw.sqlite3_bind_int64(delete, 1, command.sequence));
                session.StepToDone(delete);
                return raw.sqlite3_changes(session.Connection.Handle);
            }
            finally
            {
                SqliteSession.Reset(delete);
            }
        }, cancellationToken);

    /// <summary>The highest sequence number of a message not yet completed, or 0 when there is none.</summary>
    public long LastSequence() =>
        _database.Read(0, static (session, _) => (long)session.Command(LastSql).ExecuteScalar()!);

    /// <summary>The number of messages not yet completed.</summary>
    public ValueTask<long> CountAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_database.Read(0, static (session, _) => (long)session.Command(CountSql).ExecuteScalar()!));
    }
}
