using System.Runtime.InteropServices;
using System.Text;

namespace Perf.Invoker.Tools.KafkaMockBroker;

/// <summary>librdkafka's mock cluster (rdkafka_mock.h), owned through the plain C API.</summary>
internal sealed partial class MockCluster : IDisposable
{
    private const string Library = "rdkafka";

    /// <summary>The client handle the cluster belongs to; librdkafka needs one to host it.</summary>
    private readonly nint _client;

    /// <summary>The mock cluster; valid until <see cref="Dispose"/>.</summary>
    private nint _cluster;

    static MockCluster() => NativeLibrary.SetDllImportResolver(typeof(MockCluster).Assembly, Resolve);

    private MockCluster(nint client, nint cluster)
    {
        _client = client;
        _cluster = cluster;
    }

    public string Bootstraps => Marshal.PtrToStringUTF8(rd_kafka_mock_cluster_bootstraps(_cluster)) ?? "";

    public static MockCluster Create(int brokers)
    {
        nint conf = rd_kafka_conf_new();
        var error = new byte[512];
        // Quiet: the mock's own notices would only bury a test's output.
        Set(conf, "log_level", "4", error);
        nint client = rd_kafka_new(0 /* RD_KAFKA_PRODUCER */, conf, error, (nuint)error.Length);
        if (client == 0)
        {
            throw new InvalidOperationException("rd_kafka_new failed: " + Text(error));
        }

        nint cluster = rd_kafka_mock_cluster_new(client, brokers);
        if (cluster == 0)
        {
            rd_kafka_destroy(client);
            throw new InvalidOperationException("rd_kafka_mock_cluster_new failed");
        }

        return new MockCluster(client, cluster);
    }

    public void SetInitialRebalanceDelay(int milliseconds) => rd_kafka_mock_group_initial_rebalance_delay_ms(_cluster, milliseconds);

    /// <summary>Creates a topic (the mock also creates unknown topics on a producer's metadata request, with 4 partitions).</summary>
    public int CreateTopic(string name, int partitions) =>
        rd_kafka_mock_topic_create(_cluster, name, partitions, 1);

    /// <summary>Takes broker <paramref name="id"/> (1…N) down: its connections close and it refuses new ones until <see cref="SetBrokerUp"/>.</summary>
    public int SetBrokerDown(int id) => rd_kafka_mock_broker_set_down(_cluster, id);

    public int SetBrokerUp(int id) => rd_kafka_mock_broker_set_up(_cluster, id);

    /// <summary>Moves a partition's leadership to broker <paramref name="id"/>; clients learn it from their next metadata refresh.</summary>
    public int SetPartitionLeader(string topic, int partition, int id) => rd_kafka_mock_partition_set_leader(_cluster, topic, partition, id);

    public void Dispose()
    {
        if (_cluster != 0)
        {
            rd_kafka_mock_cluster_destroy(_cluster);
            _cluster = 0;
            rd_kafka_destroy(_client);
        }
    }

    private static void Set(nint conf, string name, string value, byte[] error)
    {
        if (rd_kafka_conf_set(conf, name, value, error, (nuint)error.Length) != 0)
        {
            throw new InvalidOperationException($"rd_kafka_conf_set {name}: {Text(error)}");
        }
    }

    private static string Text(byte[] error) => Encoding.UTF8.GetString(error, 0, Math.Max(0, Array.IndexOf(error, (byte)0)));

    /// <summary>
    /// librdkafka.redist ships several Linux builds: the plain one links libsasl2.so.3, which older glibc
    /// distributions lack, so fall back to the self-contained centos8 build as Confluent.Kafka's loader does.
    /// </summary>
    private static nint Resolve(string name, System.Reflection.Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Library)
        {
            return 0;
        }

        string rid = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
        string native = Path.Combine(AppContext.BaseDirectory, "runtimes", rid, "native");
        foreach (string candidate in new[]
        {
            Path.Combine(native, "librdkafka.so"),
            Path.Combine(native, "centos8-librdkafka.so"),
            Path.Combine(AppContext.BaseDirectory, "librdkafka.so"),
            Path.Combine(AppContext.BaseDirectory, "centos8-librdkafka.so"),
            Path.Combine(native, "librdkafka.dylib"),
        })
        {
            if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out nint handle))
            {
                return handle;
            }
        }

        return NativeLibrary.TryLoad("librdkafka", assembly, path, out nint fallback) ? fallback : 0;
    }

    [LibraryImport(Library)]
    private static partial nint rd_kafka_conf_new();

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rd_kafka_conf_set(nint conf, string name, string value, [Out] byte[] error, nuint errorSize);

    [LibraryImport(Library)]
    private static partial nint rd_kafka_new(int type, nint conf, [Out] byte[] error, nuint errorSize);

    [LibraryImport(Library)]
    private static partial void rd_kafka_destroy(nint client);

    [LibraryImport(Library)]
    private static partial nint rd_kafka_mock_cluster_new(nint client, int brokers);

    [LibraryImport(Library)]
    private static partial void rd_kafka_mock_cluster_destroy(nint cluster);

    [LibraryImport(Library)]
    private static partial nint rd_kafka_mock_cluster_bootstraps(nint cluster);

    [LibraryImport(Library)]
    private static partial void rd_kafka_mock_group_initial_rebalance_delay_ms(nint cluster, int milliseconds);

    [LibraryImport(Library)]
    private static partial int rd_kafka_mock_broker_set_down(nint cluster, int brokerId);

    [LibraryImport(Library)]
    private static partial int rd_kafka_mock_broker_set_up(nint cluster, int brokerId);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rd_kafka_mock_partition_set_leader(nint cluster, string topic, int partition, int brokerId);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rd_kafka_mock_topic_create(nint cluster, string topic, int partitions, int replicationFactor);
}
