using System.Buffers;
using Perf.Invoker.CouchDb;
using Perf.Invoker.Exposition;

namespace Perf.Invoker.Host.Serve;

/// <summary>
/// The cluster's CouchDB as <c>invoker serve</c> uses it when OpenWhisk's environment names one (docs/cluster.md): actions
/// from the entity database through the revision-keyed cache, records into the activations database in batches, and the
/// namespace blacklist polled from the subjects database. Disposed after the feeds have drained, so that no offset is
/// committed past a record still waiting for its batch.
/// </summary>
internal sealed class ClusterDatabase : IAsyncDisposable
{
    private readonly CouchDbClient _client;

    private ClusterDatabase(CouchDbClient client, CouchActionSource actions, CouchActivationStore records, NamespaceBlacklist blacklist)
    {
        _client = client;
        Actions = actions;
        Records = records;
        Blacklist = blacklist;
    }

    public CouchActionSource Actions { get; }

    public CouchActivationStore Records { get; }

    public NamespaceBlacklist Blacklist { get; }

    /// <param name="resolveKind">The runtimes manifest's kinds: an action of another kind is "not compatible", as in OpenWhisk.</param>
    /// <param name="cacheBytes">The action cache's bound (--action-cache-mb).</param>
    public static ClusterDatabase Open(CouchDbOptions options, Func<string, string?> resolveKind, TimeSpan? blacklistPollInterval, string name, long cacheBytes)
    {
        var client = new CouchDbClient(options);
        void Report(string problem) => Console.Error.WriteLine($"{name}: {problem}");
        var blacklist = new NamespaceBlacklist(client, pollInterval: blacklistPollInterval, report: Report);
        return new ClusterDatabase(client, new CouchActionSource(client, resolveKind, cacheBytes, Report), new CouchActivationStore(client, Report), blacklist);
    }

    /// <summary>The figures docs/cluster.md quotes: the action cache's hits and misses, record batches and their median size.</summary>
    public void WriteMetrics(IBufferWriter<byte> output)
    {
        var writer = new PrometheusTextWriter(output);
        writer.WriteFamily("invoker_action_cache_reads_total"u8, "counter"u8, "Action reads by whether the revision-keyed cache answered them"u8);
        writer.WriteSample("invoker_action_cache_reads_total"u8, "result"u8, "hit"u8, Actions.Hits);
        writer.WriteSample("invoker_action_cache_reads_total"u8, "result"u8, "miss"u8, Actions.Misses);
        writer.WriteFamily("invoker_action_cache_bytes"u8, "gauge"u8, "Bytes of code the action cache holds"u8);
        writer.WriteSample("invoker_action_cache_bytes"u8, Actions.CachedBytes);
        writer.WriteFamily("invoker_couchdb_record_batches_total"u8, "counter"u8, "_bulk_docs requests of activation records, retries included"u8);
        writer.WriteSample("invoker_couchdb_record_batches_total"u8, Records.Batches);
        writer.WriteFamily("invoker_couchdb_records_total"u8, "counter"u8, "Activation records those requests carried"u8);
        writer.WriteSample("invoker_couchdb_records_total"u8, Records.Documents);
        writer.WriteFamily("invoker_couchdb_record_batch_size_median"u8, "gauge"u8, "Median documents per _bulk_docs request since start"u8);
        writer.WriteSample("invoker_couchdb_record_batch_size_median"u8, BatchSizeHistogram.Median(Records.BatchSizes.Snapshot()));
        writer.WriteFamily("invoker_blacklisted_namespaces"u8, "gauge"u8, "Namespaces the blacklist refuses"u8);
        writer.WriteSample("invoker_blacklisted_namespaces"u8, Blacklist.Blocked.Count);
    }

    public async ValueTask DisposeAsync()
    {
        await Records.DisposeAsync().ConfigureAwait(false);
        await Blacklist.DisposeAsync().ConfigureAwait(false);
        _client.Dispose();
    }
}
