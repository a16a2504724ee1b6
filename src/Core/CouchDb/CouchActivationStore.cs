using System.Text;
using System.Threading.Channels;
using System.Threading.Tasks.Sources;
using Perf.Invoker.Buffers;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.CouchDb;

/// <summary>
/// Activation records in OpenWhisk's activations database (docs/cluster.md, "Activation records"), written by group
/// commit: <see cref="StoreAsync"/> queues the record and completes only once the <c>_bulk_docs</c> request that carries
/// it has been answered for it, because the Kafka offset is committed right after (the ack went out before, see
/// <see cref="StoresAfterAcknowledgement"/>). A batch lingers for more records when nothing is on the wire; while a
/// batch is on the wire the next records wait; the next batch takes all of them (at most <see cref="MaxBatchDocuments"/>, OpenWhisk's
/// limit). Another batch goes out beside it only when a full one is waiting, up to half the client's connections
/// (OpenWhisk's parallelism), so batches stay large at any rate.
/// </summary>
/// <remarks>
/// Per document: <c>ok</c> is stored; <c>conflict</c> means the id exists (a redelivered activation stored before a
/// crash) and counts as stored. Any other row error, a failed request or a non-2xx answer is retried with a backoff
/// doubling from 100 ms to 5 s, for as long as the store runs, and reported once per attempt: a record is not given up
/// because CouchDB is down. A 413 splits the request in halves; a single document CouchDB refuses for its size
/// (413, or a <c>too_large</c> row) can never be stored, so it is reported and let go, as OpenWhisk lets a failed store
/// go. <see cref="DisposeAsync"/> fails the records still waiting with <see cref="ObjectDisposedException"/>: a host
/// disposes the store after its feeds have drained, so that none of their offsets is committed past such a record.
/// </remarks>
public sealed class CouchActivationStore : IActivationStore, IAsyncDisposable
{
    /// <summary>OpenWhisk's batch limit for <c>_bulk_docs</c>.</summary>
    public const int MaxBatchDocuments = 500;

    /// <summary>
    /// Long enough that a fast CouchDB on the same host (a round trip of a few ms) still gets batches of tens of records
    /// at 1,000 activations/s (docs/cluster.md, measured); short against the Kafka offset commit it delays.
    /// </summary>
    public static readonly TimeSpan DefaultLinger = TimeSpan.FromMilliseconds(25);

    /// <summary>A record carries the action's result two levels down (<c>response.result</c>), as in the SQLite store.</summary>
    private const int RecordMaxDepth = JsonReader.DefaultMaxDepth + 2;

    private static readonly TimeSpan s_firstBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(5);

    private readonly CouchDbClient _client;
    private readonly string _database;
    private readonly Action<string>? _report;
    private readonly TimeProvider _time;
    private readonly TimeSpan _linger;

    /// <summary>Guards <see cref="_queued"/>, <see cref="_free"/>, <see cref="_sending"/>, <see cref="_waiters"/> and <see cref="_disposed"/>.</summary>
    private readonly Lock _gate = new();

    /// <summary>Records waiting for a batch, oldest first.</summary>
    private readonly Queue<PendingRecord> _queued = new();

    /// <summary>Every batch there is (half the client's connections); each is free or owned by one <see cref="RunAsync"/>.</summary>
    private readonly Batch[] _batches;

    /// <summary>Batches not in use; the others are sending or waiting out a backoff.</summary>
    private readonly Stack<Batch> _free;

    /// <summary>Batches whose request is on the wire (not those waiting out a backoff); ≤ _batches.Length − _free.Count.</summary>
    private int _sending;

    /// <summary>Waiters given back after their result was read, for the next records.</summary>
    private readonly Stack<PendingRecord> _waiters = new();

    private bool _disposed;

    /// <summary>"Something changed" (a record queued, a batch freed): one pending signal at most, so a signal costs no allocation.</summary>
    private readonly Channel<byte> _wake = Channel.CreateBounded<byte>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _writer;

    private long _batchCount;
    private long _documentCount;

    /// <param name="client">The cluster's CouchDB; records go to its <see cref="CouchDbOptions.ActivationDatabase"/>. Not owned.</param>
    /// <param name="report">Told of each failed batch attempt, a record let go, and a lookup that failed; one line each.</param>
    /// <param name="linger">
    /// How long a batch waits for more records once its first is queued, when no other batch is on the wire; the ack has
    /// gone out already (<see cref="StoresAfterAcknowledgement"/>), so only the offset commit waits for it.
    /// </param>
    public CouchActivationStore(CouchDbClient client, Action<string>? report = null, TimeProvider? time = null, TimeSpan? linger = null)
    {
        _linger = linger ?? DefaultLinger;
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _database = client.Options.ActivationDatabase;
        _report = report;
        _time = time ?? TimeProvider.System;
        _batches = new Batch[Math.Max(1, client.Options.MaxConnections / 2)];
        _free = new Stack<Batch>(_batches.Length);
        for (int i = 0; i < _batches.Length; i++)
        {
            _batches[i] = new Batch();
            _free.Push(_batches[i]);
        }

        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary><c>_bulk_docs</c> requests sent, retries included.</summary>
    public long Batches => Interlocked.Read(ref _batchCount);

    /// <summary>Documents those requests carried (a retried document counts again).</summary>
    public long Documents => Interlocked.Read(ref _documentCount);

    /// <summary>Requests by their document count, for the median batch size.</summary>
    public BatchSizeHistogram BatchSizes { get; } = new();

    /// <summary>The ack goes out first, as OpenWhisk's invoker sends it: the linger and the batch's round trip are not the user's wait.</summary>
    public bool StoresAfterAcknowledgement => true;

    /// <summary>
    /// Queues <paramref name="record"/> and completes once CouchDB holds it (or held it already). The token stops only a
    /// call that has not queued yet: a queued record is written, so its waiter learns the outcome.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The store was disposed before the record was written.</exception>
    public ValueTask StoreAsync(ActivationRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        cancellationToken.ThrowIfCancellationRequested();
        PendingRecord pending;
        short token;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            pending = _waiters.Count > 0 ? _waiters.Pop() : new PendingRecord(this);
            token = pending.Arm(record);
            _queued.Enqueue(pending);
        }

        _wake.Writer.TryWrite(0);
        return new ValueTask(pending, token);
    }

    /// <summary>
    /// <c>GET /{activations}/{user namespace}/{activation id}</c>. Null when there is no such document, and also when
    /// CouchDB cannot answer or the document cannot be read (reported): the activation then runs again rather than being
    /// lost, and its store meets the first record's <c>conflict</c>, which keeps that one.
    /// </summary>
    public async ValueTask<ActivationRecord?> FindAsync(string userNamespace, ActivationId activationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userNamespace);
        string id = ActivationDocument.Id(userNamespace, activationId);
        CouchDbResponse response;
        try
        {
            response = await _client.GetDocumentAsync(_database, id, revision: null, cancellationToken).ConfigureAwait(false);
        }
        catch (CouchDbUnavailableException e)
        {
            _report?.Invoke($"Looking up the record {id} for a redelivered activation failed, so it runs again: {e.Message}");
            return null;
        }

        if (response.IsNotFound)
        {
            return null;
        }

        if (!response.IsSuccess)
        {
            _report?.Invoke($"Looking up the record {id} for a redelivered activation failed, so it runs again: {Describe(response)}");
            return null;
        }

        try
        {
            return JsonModel.Read<ActivationRecord>(response.Body, RecordMaxDepth);
        }
        catch (JsonReadException e)
        {
            _report?.Invoke($"The record {id} is unreadable, so its activation runs again: {e.Message}");
            return null;
        }
    }

    /// <summary>Stops writing; records not yet written fail with <see cref="ObjectDisposedException"/>. The client is not disposed.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _writer.ConfigureAwait(false);
        foreach (Batch batch in _batches)
        {
            // A batch's run fails its own records when stopped, and never throws.
            await batch.Running.ConfigureAwait(false);
        }

        PendingRecord[] left;
        lock (_gate)
        {
            left = [.. _queued];
            _queued.Clear();
        }

        foreach (PendingRecord pending in left)
        {
            pending.Fail(Stopped());
        }

        _stop.Dispose();
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            while (await _wake.Reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                _wake.Reader.TryRead(out _);
                if (_linger > TimeSpan.Zero && ShouldLinger())
                {
                    await Task.Delay(_linger, _time, _stop.Token).ConfigureAwait(false);
                }

                while (TryTakeBatch() is { } batch)
                {
                    // Only this loop takes batches, so the batch is not taken again before its task is recorded.
                    batch.Running = RunAsync(batch);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposed: DisposeAsync fails what is still queued.
        }
    }

    /// <summary>A batch would go now with room to spare and nothing on the wire: it waits for more, once.</summary>
    private bool ShouldLinger()
    {
        lock (_gate)
        {
            return _sending == 0 && _queued.Count is > 0 and < MaxBatchDocuments && _free.Count > 0;
        }
    }

    /// <summary>The next batch to send, if one should go now.</summary>
    private Batch? TryTakeBatch()
    {
        lock (_gate)
        {
            if (_disposed || _queued.Count == 0 || _free.Count == 0)
            {
                return null;
            }

            // Group commit: while a request is on the wire, records gather for the next one. Only a full batch waiting
            // is worth a second request beside it: more requests in parallel would only make every batch smaller.
            if (_sending > 0 && _queued.Count < MaxBatchDocuments)
            {
                return null;
            }

            Batch batch = _free.Pop();
            int count = Math.Min(_queued.Count, MaxBatchDocuments);
            for (int i = 0; i < count; i++)
            {
                batch.Records.Add(_queued.Dequeue());
            }

            batch.Limit = count;
            _sending++;
            return batch;
        }
    }

    /// <summary>Sends the batch until every record in it is stored (or let go), backing off between failed attempts.</summary>
    private async Task RunAsync(Batch batch)
    {
        bool sending = true;
        TimeSpan backoff = s_firstBackoff;
        try
        {
            while (batch.Records.Count > 0)
            {
                if (!sending)
                {
                    lock (_gate)
                    {
                        _sending++;
                    }

                    sending = true;
                }

                int attempted = Math.Min(batch.Limit, batch.Records.Count);
                int before = batch.Records.Count;
                string? failure = await SendAsync(batch).ConfigureAwait(false);
                if (failure is null)
                {
                    // All of it stored, or a split: the rest goes at once.
                    continue;
                }

                int failed = attempted - (before - batch.Records.Count);
                _report?.Invoke($"CouchDB did not store {failed} of {attempted} activation records ({failure}); retrying in {backoff.TotalMilliseconds:0} ms.");
                lock (_gate)
                {
                    _sending--;
                }

                sending = false;
                // With this request off the wire, a waiting batch may go meanwhile.
                _wake.Writer.TryWrite(0);
                await Task.Delay(backoff, _time, _stop.Token).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, s_maxBackoff.Ticks));
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            FailAll(batch, Stopped());
        }
#pragma warning disable CA1031 // Anything unexpected fails this batch's waiters with the cause rather than leaving them waiting forever.
        catch (Exception e)
#pragma warning restore CA1031
        {
            FailAll(batch, e);
        }
        finally
        {
            lock (_gate)
            {
                if (sending)
                {
                    _sending--;
                }

                batch.Records.Clear();
                _free.Push(batch);
            }

            _wake.Writer.TryWrite(0);
        }
    }

    /// <summary>
    /// One <c>_bulk_docs</c> request with the batch's first <see cref="Batch.Limit"/> records. The records it stored
    /// (or let go) leave the batch, completed. Returns why it failed for the others, or null when nothing failed.
    /// </summary>
    private async Task<string?> SendAsync(Batch batch)
    {
        int count = Math.Min(batch.Limit, batch.Records.Count);
        WriteBody(batch, count);
        Interlocked.Increment(ref _batchCount);
        Interlocked.Add(ref _documentCount, count);
        BatchSizes.Add(count);
        CouchDbResponse response;
        try
        {
            response = await _client.BulkDocsAsync(_database, batch.Body.WrittenMemory, _stop.Token).ConfigureAwait(false);
        }
        catch (CouchDbUnavailableException e)
        {
            return e.Message;
        }
#pragma warning disable CA1031 // Whatever else a request throws, the batch is tried again: failing its records would lose them (acked, never stored).
        catch (Exception e) when (e is not OperationCanceledException || !_stop.IsCancellationRequested)
#pragma warning restore CA1031
        {
            return $"{e.GetType().Name}: {e.Message}";
        }

        if (response.StatusCode == 413)
        {
            // The request is too large for CouchDB: halve it until each document goes alone.
            if (count > 1)
            {
                batch.Limit = Math.Max(1, count / 2);
                return null;
            }

            LetGo(batch.Records[0], Describe(response));
            batch.Records.RemoveAt(0);
            return null;
        }

        if (!response.IsSuccess)
        {
            return Describe(response);
        }

        BulkDocsRow[] rows;
        try
        {
            rows = JsonModel.Read<BulkDocsAnswer>(response.Body).Rows;
        }
        catch (JsonReadException e)
        {
            return $"an unreadable answer: {e.Message}";
        }

        return Apply(batch, count, rows);
    }

    /// <summary>Completes the records whose row says stored (or too large), keeps the others, in order, for the next attempt.</summary>
    private string? Apply(Batch batch, int count, BulkDocsRow[] rows)
    {
        List<PendingRecord> records = batch.Records;
        string? failure = null;
        int kept = 0;
        for (int i = 0; i < count; i++)
        {
            PendingRecord pending = records[i];
            BulkDocsRow? row = RowOf(pending.Record, i, rows);
            if (row is { Ok: true } || row is { IsConflict: true })
            {
                pending.Complete();
            }
            else if (row is { IsTooLarge: true })
            {
                LetGo(pending, $"{row.Error}: {row.Reason}");
            }
            else
            {
                records[kept++] = pending;
                failure ??= row is null
                    ? $"the answer has no row for {ActivationDocument.Id(pending.Record.Namespace, pending.Record.ActivationId)} ({rows.Length} rows for {count} documents)"
                    : $"{row.Error}: {row.Reason}";
            }
        }

        for (int i = count; i < records.Count; i++)
        {
            records[kept++] = records[i];
        }

        records.RemoveRange(kept, records.Count - kept);
        return failure;
    }

    /// <summary>
    /// The row answering <paramref name="record"/>, sent at <paramref name="position"/>: there when the answer keeps the
    /// order of the documents, as CouchDB's does; otherwise found by its id (pouchdb-server sometimes reorders, and a row
    /// matched by position alone would complete a record that was not stored, or retry one that was). Null when none is.
    /// </summary>
    private static BulkDocsRow? RowOf(ActivationRecord record, int position, BulkDocsRow[] rows)
    {
        if (position < rows.Length && ActivationDocument.IsId(rows[position].Id, record.Namespace, record.ActivationId))
        {
            return rows[position];
        }

        foreach (BulkDocsRow row in rows)
        {
            if (ActivationDocument.IsId(row.Id, record.Namespace, record.ActivationId))
            {
                return row;
            }
        }

        return null;
    }

    /// <summary><c>{"docs":[…]}</c> with the batch's first <paramref name="count"/> records, into the batch's own buffer.</summary>
    private void WriteBody(Batch batch, int count)
    {
        long updated = _time.GetUtcNow().ToUnixTimeMilliseconds();
        PooledBufferWriter body = batch.Body;
        body.Reset();
        body.Write("{\"docs\":["u8);
        for (int i = 0; i < count; i++)
        {
            if (i > 0)
            {
                body.Write(","u8);
            }

            ActivationDocument.Write(body, batch.Records[i].Record, updated);
        }

        body.Write("]}"u8);
    }

    private void LetGo(PendingRecord pending, string reason)
    {
        ActivationRecord record = pending.Record;
        _report?.Invoke($"CouchDB refuses the record {ActivationDocument.Id(record.Namespace, record.ActivationId)} for its size ({reason}); it is not stored.");
        pending.Complete();
    }

    private static void FailAll(Batch batch, Exception e)
    {
        foreach (PendingRecord pending in batch.Records)
        {
            pending.Fail(e);
        }

        batch.Records.Clear();
    }

    private ObjectDisposedException Stopped() => new(nameof(CouchActivationStore), "The activation store stopped before the record was written.");

    private static string Describe(CouchDbResponse response)
    {
        ReadOnlySpan<byte> body = response.Body.AsSpan(0, Math.Min(response.Body.Length, 200));
        return $"HTTP {response.StatusCode} {Encoding.UTF8.GetString(body).Trim()}";
    }

    private void Return(PendingRecord pending)
    {
        lock (_gate)
        {
            // As many as can be waiting at once under load; more would only be kept for a burst that has passed.
            if (_waiters.Count < MaxBatchDocuments * _batches.Length)
            {
                _waiters.Push(pending);
            }
        }
    }

    /// <summary>One request's worth of records and the buffer its body is written into, reused from batch to batch.</summary>
    private sealed class Batch
    {
        public PooledBufferWriter Body { get; } = new();

        /// <summary>The records not yet stored, in the order they were queued.</summary>
        public List<PendingRecord> Records { get; } = new(MaxBatchDocuments);

        /// <summary>Documents per request: all of them, unless CouchDB answered 413 and the batch goes in halves.</summary>
        public int Limit { get; set; }

        /// <summary>The last run of this batch; completed when the batch is free.</summary>
        public Task Running { get; set; } = Task.CompletedTask;
    }

    /// <summary>
    /// The waiter of one queued record: a reusable <see cref="IValueTaskSource"/>, so storing a record allocates no task.
    /// Armed when queued, completed by its batch, given back to the store once its result has been read.
    /// </summary>
    private sealed class PendingRecord(CouchActivationStore owner) : IValueTaskSource
    {
        private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };

        /// <summary>The record to write; set while armed.</summary>
        public ActivationRecord Record { get; private set; } = null!;

        public short Arm(ActivationRecord record)
        {
            Record = record;
            return _core.Version;
        }

        public void Complete() => _core.SetResult(true);

        public void Fail(Exception e) => _core.SetException(e);

        public void GetResult(short token)
        {
            try
            {
                _core.GetResult(token);
            }
            finally
            {
                _core.Reset();
                Record = null!;
                owner.Return(this);
            }
        }

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}
