using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Perf.Invoker.Tests.CouchDb;
using Perf.Invoker.Tests.Kafka;

namespace Perf.Invoker.Tests.Cluster;

/// <summary>
/// `invoker serve` started the way OpenWhisk's ansible starts its invoker container (docs/cluster.md;
/// roles/invoker/tasks/deploy.yml): <c>--id N --uniqueName N</c> and the environment ansible gives, with CouchDB,
/// Kafka, the runtimes manifest and the admin credentials; process containers over the repository's runtime.
/// The same data directory and port survive a restart, as the container's volumes and port mapping do.
/// </summary>
internal sealed class AnsibleInvoker : IDisposable
{
    public const string AdminUser = "invoker.user";

    public const string AdminPassword = "invoker.pass";

    /// <summary>ansible/files/runtimes.json cut to the one family the tests use; the image is this repository's runtime image.</summary>
    public const string RuntimesManifest = """
        {"runtimes":{"nodejs":[{"kind":"nodejs:20","default":true,"image":{"name":"perf-invoker-nodejs","tag":"latest"},"deprecated":false,"attached":{"attachmentName":"codefile","attachmentType":"text/plain"}}]},"blackboxes":[]}
        """;

    private readonly Dictionary<string, string> _environment;
    private readonly StringBuilder _output = new();
    private Process? _process;

    /// <param name="couchServer">Where the invoker finds CouchDB, when not at the fixture's address (a fault test's proxy).</param>
    public AnsibleInvoker(int id, KafkaMockBrokerFixture broker, string prefix, CouchDbFixture couch, WhiskDatabases databases, TimeSpan blacklistPoll, Uri? couchServer = null)
    {
        couchServer ??= couch.Server;
        Id = id;
        Data = Directory.CreateTempSubdirectory($"invoker{id}-").FullName;
        Port = FreePort();
        Admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}"), Timeout = TimeSpan.FromSeconds(30) };
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AdminUser}:{AdminPassword}")));
        _environment = new Dictionary<string, string>
        {
            ["KAFKA_HOSTS"] = broker.BootstrapServers,
            ["PORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RUNTIMES_MANIFEST"] = RuntimesManifest,
            ["WHISK_API_HOST_PROTO"] = "http",
            ["WHISK_API_HOST_PORT"] = "3233",
            ["WHISK_API_HOST_NAME"] = "127.0.0.1",
            ["CONFIG_whisk_couchdb_protocol"] = couchServer.Scheme,
            ["CONFIG_whisk_couchdb_host"] = couchServer.Host,
            ["CONFIG_whisk_couchdb_port"] = couchServer.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CONFIG_whisk_couchdb_username"] = CouchDbFixture.Username,
            ["CONFIG_whisk_couchdb_password"] = CouchDbFixture.Password,
            ["CONFIG_whisk_couchdb_provider"] = "CouchDB",
            ["CONFIG_whisk_couchdb_databases_WhiskEntity"] = databases.Entities,
            ["CONFIG_whisk_couchdb_databases_WhiskActivation"] = databases.Activations,
            ["CONFIG_whisk_couchdb_databases_WhiskAuth"] = databases.Subjects,
            ["CONFIG_whisk_kafka_topics_prefix"] = prefix,
            // ansible's invoker_user_memory (2048m by default) set higher, as an operator sizes it: with ten 128 MB actions the
            // pool then keeps a warm container of each beside those in flight instead of evicting one for another.
            ["CONFIG_whisk_containerPool_userMemory"] = "4096m",
            ["CONFIG_whisk_invoker_username"] = AdminUser,
            ["CONFIG_whisk_invoker_password"] = AdminPassword,
            // Not set by ansible, but OpenWhisk keys all the same (the CONFIG_ rule): whisk.blacklist.poll-interval (5
            // minutes by default) and the consumer's session timeout (a killed invoker's group member must expire before
            // its restart gets the partition; the mock broker waits that long).
            ["CONFIG_whisk_blacklist_pollInterval"] = $"{(int)blacklistPoll.TotalSeconds} seconds",
            ["CONFIG_whisk_kafka_consumer_sessionTimeoutMs"] = KafkaTestClient.SessionTimeoutMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CONFIG_whisk_kafka_consumer_heartbeatIntervalMs"] = KafkaTestClient.HeartbeatIntervalMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["INVOKER_DATA"] = Data,
            ["INVOKER_RUNTIME"] = Repository.NodeRuntime,
            ["INVOKER_CONTAINERS"] = "process",
        };
    }

    public int Id { get; }

    /// <summary>The environment ansible gives the invoker container (with this repository's own INVOKER_* additions).</summary>
    public IReadOnlyDictionary<string, string> Environment => _environment;

    /// <summary>The admin port (ansible's PORT, mapped to 12001+N on the host).</summary>
    public int Port { get; }

    public string Data { get; }

    /// <summary>The admin endpoints with <c>whisk.invoker.username/password</c> as Basic credentials.</summary>
    public HttpClient Admin { get; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>What the process wrote, for a failing test's message.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public void Start()
    {
        var start = new ProcessStartInfo(System.Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string id = Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (string argument in new[] { InvokerProcess.FindInvokerDll(), "serve", "--id", id, "--uniqueName", id })
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string name, string value) in _environment)
        {
            start.Environment[name] = value;
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start the invoker");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>SIGKILL: no shutdown, no final commit, its runtimes orphaned until the restart's sweep.</summary>
    public void Kill()
    {
        Process process = _process ?? throw new InvalidOperationException("not started");
        process.Kill();
        process.WaitForExit();
    }

    /// <summary>SIGTERM, the graceful stop that removes its containers; SIGKILL if it does not end.</summary>
    public void Stop()
    {
        if (_process is { HasExited: false } process)
        {
            InvokerProcess.Stop(process);
        }
    }

    public void Dispose()
    {
        Stop();
        _process?.Dispose();
        Admin.Dispose();
        Directory.Delete(Data, recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {line}");
            }
        }
    }
}
