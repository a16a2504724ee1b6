using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Perf.Invoker.CouchDb;

namespace Perf.Invoker.Tests.CouchDb;

/// <summary>
/// A real CouchDB for the tests (docs/cluster.md, Testing against a real CouchDB): pouchdb-server, pinned in
/// tools/couchdb, started as its own process in its own temporary directory (on-disk LevelDB) on a free loopback port,
/// stopped by its process id at the end. The first request makes an admin, as a CouchDB 3 install has one; every
/// request after it carries that admin's credentials. Tests keep apart by database prefix (<see cref="CreateDatabasesAsync"/>).
/// </summary>
public sealed class CouchDbFixture : IAsyncLifetime
{
    public const string Username = "whisk_admin";

    public const string Password = "some_passw0rd";

    /// <summary>OpenWhisk's ansible/files/namespace_throttlings_design_document_for_subjects_db.json, as it is.</summary>
    public const string NamespaceThrottlingsDesignDocument = """
        {"_id":"_design/namespaceThrottlings","views":{"blockedNamespaces":{"map":"function (doc) {\n  if (doc._id.indexOf(\"/limits\") >= 0) {\n    if (doc.concurrentInvocations === 0 || doc.invocationsPerMinute === 0) {\n      var namespace = doc._id.replace(\"/limits\", \"\");\n      emit(namespace, 1);\n    }\n  }\n}","reduce":"_sum"}},"language":"javascript"}
        """;

    /// <summary>OpenWhisk's ansible/files/whisks_design_document_for_activations_db_v2.1.0.json: what `wsk activation list` reads.</summary>
    public const string ActivationsDesignDocument = """
        {"_id":"_design/whisks.v2.1.0","language":"javascript","views":{"activations":{"map":"function (doc) {\n  var PATHSEP = \"/\";\n  var isActivation = function (doc) { return (doc.activationId !== undefined) };\n  var summarize = function (doc) {\n    var endtime = doc.end !== 0 ? doc.end : undefined;\n    return {\n        namespace: doc.namespace,\n        name: doc.name,\n        version: doc.version,\n        publish: doc.publish,\n        annotations: doc.annotations,\n        activationId: doc.activationId,\n        start: doc.start,\n        end: endtime,\n        duration: endtime !== undefined ? endtime - doc.start : undefined,\n        cause: doc.cause,\n        statusCode: (endtime !== undefined && doc.response !== undefined && doc.response.statusCode !== undefined) ? doc.response.statusCode : undefined\n      }\n  };\n\n  if (isActivation(doc)) try {\n    var value = summarize(doc)\n    emit([doc.namespace, doc.start], value);\n  } catch (e) {}\n}\n","reduce":"_count"}}}
        """;

    /// <summary>Bound on the server's start (and on an `npm ci` of tools/couchdb when its packages are missing).</summary>
    private const int StartSeconds = 180;

    /// <summary>One `npm ci` at a time in this test process: two fixtures starting at once share tools/couchdb.</summary>
    private static readonly SemaphoreSlim s_install = new(1, 1);

    /// <summary>Part of every database prefix, so runs against one external CouchDB never meet.</summary>
    private static readonly string s_run = Guid.NewGuid().ToString("N")[..6];

    private readonly StringBuilder _output = new();
    private Process? _process;
    private string? _directory;
    private int _prefixes;

    /// <summary><c>http://127.0.0.1:port</c>.</summary>
    public Uri Server { get; private set; } = null!;

    /// <summary>Carries the admin's credentials and <c>Accept: application/json</c>, as OpenWhisk's CouchDB client does.</summary>
    public HttpClient Http { get; private set; } = null!;

    /// <summary>tools/couchdb, where package.json pins pouchdb-server.</summary>
    public static string PackageDirectory => Path.Combine(Repository.Root, "tools", "couchdb");

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

    /// <summary>
    /// Set to a CouchDB's address (<c>http://127.0.0.1:5984</c>) to run the tests against it instead of pouchdb-server:
    /// it must have the admin <see cref="Username"/> / <see cref="Password"/> already (docs/cluster.md).
    /// </summary>
    public const string ServerVariable = "PERF_INVOKER_TEST_COUCHDB";

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } external)
        {
            Server = new Uri(external);
            Http = Authenticated(Server);
            return;
        }

        await InstallAsync();
        _directory = Directory.CreateTempSubdirectory("pouchdb-").FullName;
        int port = FreePort();
        Server = new Uri($"http://127.0.0.1:{port}");
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = _directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[]
        {
            Path.Combine(PackageDirectory, "node_modules", "pouchdb-server", "bin", "pouchdb-server"),
            "--host", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--dir", _directory, "--config", Path.Combine(_directory, "config.json"), "--no-color",
        })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var anonymous = new HttpClient { BaseAddress = Server, Timeout = TimeSpan.FromSeconds(10) };
        await Eventually.True(async () =>
        {
            Assert.False(_process.HasExited, $"pouchdb-server ended before it answered:\n{Output}");
            try
            {
                using HttpResponseMessage welcome = await anonymous.GetAsync("/");
                return welcome.IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, "pouchdb-server answers on " + Server, StartSeconds, pollMilliseconds: 100);

        // The end of the "admin party": from here on anonymous requests are refused, and this fixture never sends one.
        // (pouchdb-server 4.2.0 even crashes on an anonymous PUT of a database: docs/cluster.md.)
        using (HttpResponseMessage admin = await anonymous.PutAsync($"/_config/admins/{Username}", Json($"\"{Password}\"")))
        {
            Assert.True(admin.IsSuccessStatusCode, $"PUT /_config/admins/{Username}: {(int)admin.StatusCode}");
        }

        Http = Authenticated(Server);
    }

    /// <summary>
    /// OpenWhisk's three databases under a prefix no other test uses (<c>whisk_t1_whisks</c>, …, as ansible's
    /// <c>whisk_local_</c>), with the subjects' blacklist view and the activations' list view.
    /// </summary>
    public async Task<WhiskDatabases> CreateDatabasesAsync()
    {
        var databases = new WhiskDatabases($"whisk_t{s_run}_{Interlocked.Increment(ref _prefixes)}_");
        foreach (string name in new[] { databases.Entities, databases.Activations, databases.Subjects })
        {
            await SendAsync(HttpMethod.Put, "/" + name, body: null, HttpStatusCode.Created);
        }

        await SendAsync(HttpMethod.Put, $"/{databases.Subjects}/_design/namespaceThrottlings", NamespaceThrottlingsDesignDocument, HttpStatusCode.Created);
        await SendAsync(HttpMethod.Put, $"/{databases.Activations}/_design/whisks.v2.1.0", ActivationsDesignDocument, HttpStatusCode.Created);
        return databases;
    }

    /// <summary>What the invoker under test is told (CouchDbOptions of src/Core/CouchDb).</summary>
    public CouchDbOptions Options(WhiskDatabases databases) => new()
    {
        Server = Server,
        Username = Username,
        Password = Password,
        EntityDatabase = databases.Entities,
        ActivationDatabase = databases.Activations,
        SubjectsDatabase = databases.Subjects,
    };

    /// <summary>One request that must answer <paramref name="expected"/>; the answer's body.</summary>
    public async Task<string> SendAsync(HttpMethod method, string path, string? body, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : Json(body) };
        using HttpResponseMessage response = await Http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{method} {path}: {(int)response.StatusCode} {text}");
        return text;
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_process is not null)
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(10_000);
            }

            _process.Dispose();
        }

        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static HttpClient Authenticated(Uri server)
    {
        var http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{Password}")));
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return http;
    }

    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    /// <summary>
    /// `npm ci` of tools/couchdb when pouchdb-server is not installed (test.sh does it first; this is for a lone
    /// `dotnet test`). Install scripts are skipped: leveldown loads the prebuilt binary its package ships.
    /// </summary>
    private static async Task InstallAsync()
    {
        await s_install.WaitAsync();
        try
        {
            if (Directory.Exists(Path.Combine(PackageDirectory, "node_modules", "pouchdb-server")))
            {
                return;
            }

            var start = new ProcessStartInfo("npm", ["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
            {
                WorkingDirectory = PackageDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using Process npm = Process.Start(start) ?? throw new InvalidOperationException("could not start npm");
            Task<string> output = npm.StandardOutput.ReadToEndAsync();
            Task<string> errors = npm.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(StartSeconds));
            await npm.WaitForExitAsync(timeout.Token);
            Assert.True(npm.ExitCode == 0, $"npm ci in {PackageDirectory} failed:\n{await output}\n{await errors}");
        }
        finally
        {
            s_install.Release();
        }
    }

    /// <summary>A port the system just gave out and took back; pouchdb-server binds it a moment later.</summary>
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
                _output.AppendLine(line);
            }
        }
    }
}

/// <summary>OpenWhisk's three CouchDB databases under one prefix (ansible's <c>{{db_prefix}}whisks</c>, …).</summary>
public sealed record WhiskDatabases(string Prefix)
{
    /// <summary><c>whisk.couchdb.databases.WhiskEntity</c>: actions.</summary>
    public string Entities => Prefix + "whisks";

    /// <summary><c>whisk.couchdb.databases.WhiskActivation</c>: records.</summary>
    public string Activations => Prefix + "activations";

    /// <summary><c>whisk.couchdb.databases.WhiskAuth</c>: subjects and the namespace blacklist.</summary>
    public string Subjects => Prefix + "subjects";
}
