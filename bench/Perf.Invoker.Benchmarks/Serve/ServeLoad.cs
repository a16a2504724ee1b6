using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Confluent.Kafka;
using Perf.Invoker.Benchmarks.Feed;
using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Benchmarks.Serve;

/// <summary>
/// <c>invoker serve</c> end to end, as a cluster drives it: the mock broker, published invokers started OpenWhisk's way
/// (<c>--id 0 --uniqueName 0</c>, KAFKA_HOSTS, RUNTIMES_MANIFEST), its actions in its SQLite store or in CouchDB, and an
/// open-loop producer of non-blocking activations at a fixed rate. Reports activations/s, the invoker's CPU per activation
/// (user + system from /proc over the measured window) and the CouchDB counters of its /metrics.
/// </summary>
/// <remarks>
/// <c>-- --serve-load --invoker PATH [--store sqlite|couchdb --couchdb URL --couchdb-user U --couchdb-password P]
/// [--rate N] [--seconds S] [--actions K] [--invokers I]</c>: with several invokers (ids 0…I−1) the activations go round
/// robin to their topics and the CPU is their sum. Row: store, offered/s, activations, achieved/s, CPU µs per activation,
/// seconds until every invoker answered /ping. docs/cluster.md quotes its rows.
/// </remarks>
internal static class ServeLoad
{
    private const string NoOp = "function main() { return {}; }";

    public static async Task RunAsync(string[] args, TextWriter output)
    {
        string invokerPath = Option(args, "--invoker") ?? throw new ArgumentException("--invoker PATH (a published invoker) is required");
        string store = Option(args, "--store") ?? "sqlite";
        int rate = int.Parse(Option(args, "--rate") ?? "1000", CultureInfo.InvariantCulture);
        int seconds = int.Parse(Option(args, "--seconds") ?? "20", CultureInfo.InvariantCulture);
        int actions = int.Parse(Option(args, "--actions") ?? "10", CultureInfo.InvariantCulture);
        int invokers = int.Parse(Option(args, "--invokers") ?? "1", CultureInfo.InvariantCulture);
        string prefix = $"bench{Environment.ProcessId}_";
        string root = RepositoryRoot();

        string[] topics = [.. Enumerable.Range(0, invokers).Select(i => prefix + "invoker" + i.ToString(CultureInfo.InvariantCulture))];
        // The mock broker keeps 5 MiB of each partition and deletes older messages, read or not (rdkafka_mock.c): an invoker
        // that falls that far behind would find them gone. So each invoker topic gets partitions enough for every message (about
        // 1 KiB each) with room to spare, and the run checks afterwards that the broker deleted none.
        int total = Math.Max(actions * 20 * invokers, rate) + rate * seconds;
        int partitions = Math.Max(1, (int)Math.Ceiling(total / (double)invokers / 3072));
        // The acks' and pings' topics keep one partition: the ack counter reads partition 0.
        using var broker = MockBrokerProcess.Start([.. topics.Select(t => (t, partitions)), (prefix + "completed0", 1), (prefix + "health", 1)]);
        var shared = new Dictionary<string, string>
        {
            ["KAFKA_HOSTS"] = broker.BootstrapServers,
            ["CONFIG_whisk_kafka_topics_prefix"] = prefix,
            ["CONFIG_whisk_containerPool_userMemory"] = "4096m",
            ["RUNTIMES_MANIFEST"] = """{"runtimes":{"nodejs":[{"kind":"nodejs:20","default":true,"image":{"prefix":"openwhisk","name":"action-nodejs-v20","tag":"nightly"}}]},"blackboxes":[]}""",
            ["WHISK_API_HOST_NAME"] = "127.0.0.1",
            ["INVOKER_CONTAINERS"] = "process",
            ["INVOKER_RUNTIME"] = Path.Combine(root, "runtimes", "nodejs"),
        };

        string[] data = [.. Enumerable.Range(0, invokers).Select(_ => Directory.CreateTempSubdirectory("serve-load-").FullName)];
        string[] revisions = new string[actions];
        if (store == "couchdb")
        {
            var couch = new Uri(Option(args, "--couchdb") ?? throw new ArgumentException("--couchdb URL is required with --store couchdb"));
            string user = Option(args, "--couchdb-user") ?? "admin", password = Option(args, "--couchdb-password") ?? "admin";
            using var http = new HttpClient { BaseAddress = couch };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
            foreach (string db in new[] { prefix + "whisks", prefix + "activations", prefix + "subjects" })
            {
                (await http.PutAsync(db, null)).EnsureSuccessStatusCode();
            }

            for (int i = 0; i < actions; i++)
            {
                revisions[i] = await PutCouchActionAsync(http, prefix + "whisks", $"noop{i}");
            }

            shared["CONFIG_whisk_couchdb_protocol"] = couch.Scheme;
            shared["CONFIG_whisk_couchdb_host"] = couch.Host;
            shared["CONFIG_whisk_couchdb_port"] = couch.Port.ToString(CultureInfo.InvariantCulture);
            shared["CONFIG_whisk_couchdb_username"] = user;
            shared["CONFIG_whisk_couchdb_password"] = password;
            shared["CONFIG_whisk_couchdb_provider"] = "CouchDB";
            shared["CONFIG_whisk_couchdb_databases_WhiskEntity"] = prefix + "whisks";
            shared["CONFIG_whisk_couchdb_databases_WhiskActivation"] = prefix + "activations";
            shared["CONFIG_whisk_couchdb_databases_WhiskAuth"] = prefix + "subjects";
        }
        else
        {
            foreach (string directory in data)
            {
                using SqliteDatabase database = SqliteDatabase.Open(Path.Combine(directory, "invoker.db"));
                var sqlite = new SqliteActionStore(database);
                for (int i = 0; i < actions; i++)
                {
                    await sqlite.PutAsync("guest", $"noop{i}", new ActionSpec
                    {
                        Exec = new ActionExec { Kind = "nodejs:20", Code = NoOp },
                        Limits = new ActionLimits { Concurrency = 100, Memory = 128 },
                    }, overwrite: false);
                    revisions[i] = "";
                }
            }
        }

        var running = new List<(Process Process, HttpClient Admin, StringBuilder Log)>();
        try
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < invokers; i++)
            {
                var env = new Dictionary<string, string>(shared)
                {
                    ["INVOKER_DATA"] = data[i],
                    ["INVOKER_URL"] = "http://127.0.0.1:" + FreePort().ToString(CultureInfo.InvariantCulture),
                };
                running.Add(StartInvoker(invokerPath, i, env));
            }

            foreach ((Process process, HttpClient admin, StringBuilder log) in running)
            {
                await WaitForPingAsync(admin, process, log);
            }

            double listening = clock.Elapsed.TotalSeconds;
            using var producer = new ProducerBuilder<Null, byte[]>(new ProducerConfig { BootstrapServers = broker.BootstrapServers, LingerMs = 1 }).Build();
            using var acks = new AckCounter(broker.BootstrapServers, prefix + "completed0");

            // Warm-up: every action's containers started and its document cached, in every invoker.
            int warm = Math.Max(actions * 20 * invokers, rate);
            Debug.Assert(warm + rate * seconds == total, "the partitions were sized for this many messages");
            await SendAsync(producer, topics, warm, rate, actions, revisions);
            await acks.WaitForAsync(warm, TimeSpan.FromSeconds(120));

            int count = rate * seconds;
            long[] before = [.. running.Select(r => CpuTicks(r.Process.Id))];
            clock.Restart();
            await SendAsync(producer, topics, count, rate, actions, revisions);
            try
            {
                await acks.WaitForAsync(warm + count, TimeSpan.FromSeconds(seconds * 4 + 60));
            }
            catch (TimeoutException)
            {
                // What the invokers say at rest tells lost messages (nothing in flight) from slow ones.
                foreach ((Process _, HttpClient admin, StringBuilder log) in running)
                {
                    string metrics = await admin.GetStringAsync("/metrics");
                    output.WriteLine(string.Join('\n', metrics.Split('\n').Where(l => l.StartsWith("invoker_", StringComparison.Ordinal))));
                    lock (log)
                    {
                        output.WriteLine(log.ToString());
                    }
                }

                throw;
            }
            double elapsed = clock.Elapsed.TotalSeconds;
            NothingDeleted(broker.BootstrapServers, topics, partitions);
            long ticks = running.Select((r, i) => CpuTicks(r.Process.Id) - before[i]).Sum();
            const double TicksPerSecond = 100;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| serve, {store}, {invokers} invoker(s) | {rate} | {count} | {count / elapsed:F0} | {ticks / TicksPerSecond * 1e6 / count:F0} | {listening:F1} |"));
            foreach ((Process _, HttpClient admin, StringBuilder _) in running)
            {
                string metrics = await admin.GetStringAsync("/metrics");
                foreach (string line in metrics.Split('\n').Where(l => l.StartsWith("invoker_couchdb", StringComparison.Ordinal) || l.StartsWith("invoker_action_cache", StringComparison.Ordinal)))
                {
                    output.WriteLine("    " + line);
                }
            }
        }
        finally
        {
            foreach ((Process process, HttpClient admin, StringBuilder _) in running)
            {
                if (!process.HasExited)
                {
                    // With its runtimes: they are its children, and would outlive it as orphans.
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync();
                }

                process.Dispose();
                admin.Dispose();
            }

            foreach (string directory in data)
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    /// <summary><c>invoker serve --id N --uniqueName N</c> with OpenWhisk's environment, its output kept for a failure's message.</summary>
    private static (Process Process, HttpClient Admin, StringBuilder Log) StartInvoker(string path, int id, Dictionary<string, string> env)
    {
        var start = new ProcessStartInfo(path) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        string n = id.ToString(CultureInfo.InvariantCulture);
        foreach (string a in new[] { "serve", "--id", n, "--uniqueName", n })
        {
            start.ArgumentList.Add(a);
        }

        foreach ((string key, string value) in env)
        {
            start.Environment[key] = value;
        }

        Process process = Process.Start(start)!;
        var log = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, new HttpClient { BaseAddress = new Uri(env["INVOKER_URL"]) }, log);
    }

    /// <summary>Sends <paramref name="count"/> non-blocking activations open loop: <paramref name="rate"/> a second in 10 ms slices, whatever the answers do.</summary>
    /// <exception cref="InvalidOperationException">The broker did not take every message: the acks could never all come.</exception>
    private static async Task SendAsync(IProducer<Null, byte[]> producer, string[] topics, int count, int rate, int actions, string[] revisions)
    {
        int failed = 0, delivered = 0;
        string? firstError = null;
        void Report(DeliveryReport<Null, byte[]> report)
        {
            if (report.Error.IsError)
            {
                Interlocked.CompareExchange(ref firstError, report.Error.Reason, null);
                Interlocked.Increment(ref failed);
            }
            else
            {
                Interlocked.Increment(ref delivered);
            }
        }

        long startMillis = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var clock = Stopwatch.StartNew();
        for (int sent = 0; sent < count;)
        {
            int due = (int)Math.Min(count, (long)(clock.Elapsed.TotalSeconds * rate) + 1);
            for (; sent < due; sent++)
            {
                int action = sent % actions;
                string revision = revisions[action].Length == 0 ? "null" : $"\"{revisions[action]}\"";
                string message = $$$"""{"transid":["bench{{{sent}}}",{{{startMillis}}}],"action":{"path":"guest","name":"noop{{{action}}}","version":"0.0.1"},"revision":{{{revision}}},"user":{"subject":"guest","namespace":{"name":"guest","uuid":"23bc46b1-71f6-4ed5-8c54-816aa4f8c502"},"authkey":{"api_key":"23bc46b1-71f6-4ed5-8c54-816aa4f8c502:123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP"},"rights":["READ","PUT","DELETE","ACTIVATE"],"limits":{}},"activationId":"{{{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}}}","rootControllerIndex":{"asString":"0","instanceType":"controller"},"blocking":false,"content":{"i":{{{sent}}}},"initArgs":[],"lockedArgs":{}}""";
                producer.Produce(topics[sent % topics.Length], new Message<Null, byte[]> { Value = Encoding.UTF8.GetBytes(message) }, Report);
            }

            await Task.Delay(10);
        }

        producer.Flush(TimeSpan.FromSeconds(30));
        if (Volatile.Read(ref delivered) != count)
        {
            throw new InvalidOperationException($"the broker took {delivered} of {count} activation messages ({failed} failed: {firstError ?? "not delivered within the flush"}): the load, not the invoker, fell short");
        }
    }

    /// <exception cref="InvalidOperationException">The broker deleted activation messages (its log's start moved): the load outran it.</exception>
    private static void NothingDeleted(string bootstrap, string[] topics, int partitions)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "serve-load-check" })
            .SetLogHandler((_, _) => { })
            .Build();
        foreach (string topic in topics)
        {
            for (int partition = 0; partition < partitions; partition++)
            {
                long low = consumer.QueryWatermarkOffsets(new TopicPartition(topic, partition), TimeSpan.FromSeconds(10)).Low.Value;
                if (low > 0)
                {
                    throw new InvalidOperationException($"the mock broker deleted {low} messages of {topic} [{partition}] (it keeps 5 MiB per partition): the run needs more partitions");
                }
            }
        }
    }

    /// <summary>An action as OpenWhisk's controller writes a small one: its code inline as <c>mem:</c> (docs/cluster.md).</summary>
    private static async Task<string> PutCouchActionAsync(HttpClient http, string database, string name)
    {
        byte[] code = Encoding.UTF8.GetBytes(NoOp);
        string mem = "mem:" + Convert.ToBase64String(code).Replace('+', '-').Replace('/', '_');
        string digest = "sha256-" + Convert.ToHexStringLower(SHA256.HashData(code));
        string doc = $$$"""{"entityType":"action","namespace":"guest","name":"{{{name}}}","version":"0.0.1","publish":false,"updated":{{{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}}},"exec":{"kind":"nodejs:20","binary":false,"code":{"attachmentName":"{{{mem}}}","attachmentType":"text/plain; charset=UTF-8","length":{{{code.Length}}},"digest":"{{{digest}}}"}},"parameters":[],"limits":{"timeout":60000,"memory":128,"logs":10,"concurrency":100},"annotations":[{"key":"provide-api-key","value":false},{"key":"exec","value":"nodejs:20"}]}""";
        using HttpResponseMessage response = await http.PutAsync($"{database}/{Uri.EscapeDataString("guest/" + name)}", new StringContent(doc, Encoding.UTF8, "application/json"));
        string body = await response.Content.ReadAsStringAsync();
        response.EnsureSuccessStatusCode();
        int at = body.IndexOf("\"rev\":\"", StringComparison.Ordinal) + 7;
        return body[at..body.IndexOf('"', at)];
    }

    private static async Task WaitForPingAsync(HttpClient admin, Process invoker, StringBuilder log)
    {
        for (int i = 0; i < 600; i++)
        {
            if (invoker.HasExited)
            {
                throw new InvalidOperationException("the invoker exited: " + log);
            }

            try
            {
                if ((await admin.GetAsync("/ping")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("the invoker did not answer /ping: " + log);
    }

    /// <summary>utime + stime of a process, in clock ticks (100 a second), from /proc/PID/stat.</summary>
    private static long CpuTicks(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Perf.Invoker.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("the repository root was not found above " + AppContext.BaseDirectory);
    }

    private static string? Option(string[] args, string name)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }

    /// <summary>Counts the acks on <c>completed0</c> on a thread of its own.</summary>
    private sealed class AckCounter : IDisposable
    {
        private readonly IConsumer<Ignore, Ignore> _consumer;
        private readonly Thread _thread;
        private volatile bool _stop;
        private long _count;

        public AckCounter(string bootstrap, string topic)
        {
            _consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "serve-load", EnableAutoCommit = false })
                .SetLogHandler((_, _) => { })
                .Build();
            _consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
            _thread = new Thread(() =>
            {
                while (!_stop)
                {
                    if (_consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false })
                    {
                        Interlocked.Increment(ref _count);
                    }
                }
            }) { IsBackground = true };
            _thread.Start();
        }

        public async Task WaitForAsync(long count, TimeSpan timeout)
        {
            var clock = Stopwatch.StartNew();
            while (Interlocked.Read(ref _count) < count)
            {
                if (clock.Elapsed > timeout)
                {
                    throw new TimeoutException($"{Interlocked.Read(ref _count)} of {count} acks after {timeout.TotalSeconds} s");
                }

                await Task.Delay(20);
            }
        }

        public void Dispose()
        {
            _stop = true;
            _thread.Join();
            _consumer.Close();
            _consumer.Dispose();
        }
    }
}
