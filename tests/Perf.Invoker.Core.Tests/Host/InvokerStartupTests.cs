using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Perf.Invoker.Store;
using Perf.Invoker.Tests.Kafka;

namespace Perf.Invoker.Tests.Host;

/// <summary>
/// What an operator gets when `invoker standalone` or `invoker serve` cannot start: one line naming the problem and exit
/// code 2, no stack trace. Both modes share the settings parser and the engine, so each case runs against both; serve is
/// given a broker address nothing answers on, which every one of these failures comes before.
/// </summary>
[Trait("Category", "Process")]
public sealed class InvokerStartupTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("invoker-startup-").FullName;

    public static TheoryData<string> Modes => ["standalone", "serve"];

    /// <summary>Every setting case in both modes: mode, flag, value, reason.</summary>
    public static TheoryData<string, string, string, string> SettingsOutOfRange
    {
        get
        {
            var data = new TheoryData<string, string, string, string>();
            foreach (string mode in Modes)
            {
                foreach ((string flag, string value, string reason) in new[]
                {
                    ("--user-memory", "0", "--user-memory must be at least 128"),
                    ("--user-memory", "-5", "--user-memory must be at least 128"),
                    ("--user-memory", "12", "--user-memory must be at least 128"),
                    ("--user-memory", "99999999999999999999", "a setting is not a number"),
                    ("--concurrency-max", "0", "--concurrency-max must be at least 1"),
                    ("--concurrency-max", "99999999999", "a setting is not a number"),
                    ("--concurrency-max", "ten", "a setting is not a number"),
                    ("--peek-factor", "NaN", "--peek-factor must be a finite number of at least 0"),
                    ("--peek-factor", "-1", "--peek-factor must be a finite number of at least 0"),
                    ("--url", "ftp://127.0.0.1:1", "--url must be an http:// address"),
                    ("--url", "http://[::1", "--url must be an http:// address"),
                    ("--url", "http://127.0.0.1:0/api", "--url must be an http:// address without a path"),
                    ("--containers", "vm", "--containers must be process or docker, got 'vm'"),
                    ("--bogus", "1", "unknown setting '--bogus'"),
                })
                {
                    data.Add(mode, flag, value, reason);
                }
            }

            data.Add("serve", "--instance", "99999999999", "a setting is not a number");
            data.Add("serve", "--instance", "-1", "--instance must be at least 0");
            return data;
        }
    }

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_port_already_in_use_is_a_one_line_error_and_exit_code_2(string mode)
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();

        (int code, string error) = await RunAsync(mode, $"http://127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}");

        Assert.Equal(2, code);
        Assert.StartsWith($"invoker {mode}: ", error, StringComparison.Ordinal);
        Assert.Contains("address already in use", error, StringComparison.Ordinal);
        AssertOneLine(error);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task An_address_kestrel_refuses_is_a_one_line_error_and_exit_code_2(string mode)
    {
        (int code, string error) = await RunAsync(mode, "http://localhost:0");

        Assert.Equal(2, code);
        Assert.StartsWith($"invoker {mode}: ", error, StringComparison.Ordinal);
        Assert.Contains("localhost", error, StringComparison.Ordinal);
        AssertOneLine(error);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_store_that_is_not_a_database_is_a_one_line_error_naming_it_and_exit_code_2(string mode)
    {
        File.WriteAllText(Path.Combine(_data, "invoker.db"), "not a database");

        (int code, string error) = await RunAsync(mode, "http://127.0.0.1:0");

        Assert.Equal(2, code);
        Assert.StartsWith($"invoker {mode}: ", error, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(_data, "invoker.db"), error, StringComparison.Ordinal);
        AssertOneLine(error);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_data_directory_that_is_a_file_is_a_one_line_error_naming_it_and_exit_code_2(string mode)
    {
        string file = Path.Combine(_data, "a-file");
        File.WriteAllText(file, "");

        (int code, string error) = await RunAsync(mode, "http://127.0.0.1:0", "--data", file);

        Assert.Equal(2, code);
        Assert.StartsWith($"invoker {mode}: ", error, StringComparison.Ordinal);
        Assert.Contains($"the data directory {file} is a file", error, StringComparison.Ordinal);
        AssertOneLine(error);
    }

    [Fact]
    public async Task A_key_file_that_cannot_be_read_is_a_one_line_error_and_exit_code_2()
    {
        Directory.CreateDirectory(Path.Combine(_data, "namespaces"));

        (int code, string error) = await RunAsync("standalone", "http://127.0.0.1:0");

        Assert.Equal(2, code);
        Assert.StartsWith("invoker standalone: ", error, StringComparison.Ordinal);
        AssertOneLine(error);
    }

    [Fact]
    public async Task A_kafka_option_librdkafka_refuses_is_a_one_line_error_and_exit_code_2()
    {
        (int code, string error) = await RunAsync("serve", "http://127.0.0.1:0", "--kafka-option", "no.such.property=1");

        Assert.Equal(2, code);
        Assert.StartsWith("invoker serve: the Kafka client could not be created: ", error, StringComparison.Ordinal);
        Assert.Contains("no.such.property", error, StringComparison.Ordinal);
        AssertOneLine(error);
    }

    [Fact]
    public async Task A_serve_without_kafka_is_a_one_line_error_and_exit_code_2()
    {
        (int code, string error) = await RunAsync("serve", "http://127.0.0.1:0", "--kafka", "");

        Assert.Equal(2, code);
        Assert.StartsWith("invoker serve: --kafka (or INVOKER_KAFKA) is required", error, StringComparison.Ordinal);
        AssertOneLine(error);
    }

    [Fact]
    public async Task A_feed_that_fails_stops_the_invoker_with_exit_code_1_instead_of_accepting_work_it_never_runs()
    {
        // A queue table the feed cannot read (a damaged or foreign store): its first read fails.
        using (SqliteDatabase.Open(Path.Combine(_data, "invoker.db")))
        {
        }

        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_data, "invoker.db")};Pooling=False"))
        {
            connection.Open();
            using var damage = connection.CreateCommand();
            damage.CommandText = "DROP TABLE queue; CREATE TABLE queue(seq INTEGER PRIMARY KEY AUTOINCREMENT);";
            damage.ExecuteNonQuery();
        }

        (int code, string error) = await RunAsync("standalone", "http://127.0.0.1:0");

        Assert.Equal(1, code);
        Assert.Contains("invoker standalone: the feed stopped (SqliteException: ", error, StringComparison.Ordinal);
        Assert.Contains("a supervisor restarts the invoker", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", error, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(SettingsOutOfRange))]
    public async Task A_setting_out_of_its_range_is_a_one_line_error_and_exit_code_2(string mode, string flag, string value, string reason)
    {
        (int code, string error) = await RunAsync(mode, "http://127.0.0.1:0", flag, value);

        Assert.Equal(2, code);
        // Settings are checked before anything starts, under the command's name, with a pointer to its --help.
        Assert.StartsWith(mode == "serve" ? "invoker serve: " : "invoker: ", error, StringComparison.Ordinal);
        Assert.Contains(reason, error, StringComparison.Ordinal);
        AssertOneLine(error);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_variable_out_of_its_range_is_a_one_line_error_naming_the_variable_and_exit_code_2(string mode)
    {
        (int code, string error) = await RunAsync(mode, "http://127.0.0.1:0", environment: ("INVOKER_CONCURRENCY_MAX", "0"));

        Assert.Equal(2, code);
        Assert.Contains("INVOKER_CONCURRENCY_MAX must be at least 1, got 0", error, StringComparison.Ordinal);
        AssertOneLine(error);
    }

    [Fact]
    public async Task The_OpenWhisk_way_without_KAFKA_HOSTS_is_a_one_line_error_and_exit_code_2()
    {
        (int code, string error) = await RunOpenWhiskWayAsync(new() { ["RUNTIMES_MANIFEST"] = Manifest });

        Assert.Equal(2, code);
        Assert.StartsWith("invoker serve: KAFKA_HOSTS (or --kafka) is required", error, StringComparison.Ordinal);
        AssertOneLine(error);
    }

    [Fact]
    public async Task The_OpenWhisk_way_without_RUNTIMES_MANIFEST_is_a_one_line_error_and_exit_code_2()
    {
        (int code, string error) = await RunOpenWhiskWayAsync(new() { ["KAFKA_HOSTS"] = "127.0.0.1:9" });

        Assert.Equal(2, code);
        Assert.StartsWith("invoker serve: RUNTIMES_MANIFEST is required", error, StringComparison.Ordinal);
        AssertOneLine(error);
    }

    [Theory]
    [InlineData("{\"runtimes\":", "RUNTIMES_MANIFEST: not a runtimes manifest")]
    [InlineData("""{"runtimes":{"n":[{"kind":"n:1","image":{"name":"a"}},{"kind":"n:2","image":{"name":"b"}}]}}""", "RUNTIMES_MANIFEST: the family n has 2 kinds and 0 marked default: true")]
    public async Task A_bad_RUNTIMES_MANIFEST_is_a_one_line_error_and_exit_code_2(string manifest, string reason)
    {
        (int code, string error) = await RunOpenWhiskWayAsync(new() { ["KAFKA_HOSTS"] = "127.0.0.1:9", ["RUNTIMES_MANIFEST"] = manifest });

        Assert.Equal(2, code);
        Assert.StartsWith($"invoker serve: {reason}", error, StringComparison.Ordinal);
        AssertOneLine(error);
    }

    [Fact]
    public async Task A_uniqueName_without_id_is_refused_in_one_line_for_it_needs_ZooKeeper()
    {
        (int code, string error) = await RunAsync("serve", "http://127.0.0.1:0", ["--uniqueName", "invoker-a"], new Dictionary<string, string> { ["RUNTIMES_MANIFEST"] = Manifest });

        Assert.Equal(2, code);
        Assert.StartsWith("invoker serve: --uniqueName without --id needs ZooKeeper", error, StringComparison.Ordinal);
        AssertOneLine(error);
    }

    private const string Manifest = """{"runtimes":{"nodejs":[{"kind":"nodejs:20","default":true,"image":{"name":"action-nodejs-v20"}}]}}""";

    private static void AssertOneLine(string error)
    {
        Assert.DoesNotContain("Unhandled exception", error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
    }

    private Task<(int Code, string Error)> RunAsync(string mode, string url, params string[] settings) => RunAsync(mode, url, settings, (Dictionary<string, string>?)null);

    private Task<(int Code, string Error)> RunAsync(string mode, string url, string[]? settings = null, (string Name, string Value)? environment = null) =>
        RunAsync(mode, url, settings, environment is { } variable ? new Dictionary<string, string> { [variable.Name] = variable.Value } : null);

    /// <summary>`serve --id 0 --uniqueName 0`, as ansible starts OpenWhisk's invoker, with no --kafka.</summary>
    private Task<(int Code, string Error)> RunOpenWhiskWayAsync(Dictionary<string, string> environment) =>
        RunAsync("serve", "http://127.0.0.1:0", ["--id", "0", "--uniqueName", "0"], environment, kafkaFlag: false);

    private async Task<(int Code, string Error)> RunAsync(string mode, string url, string[]? settings, Dictionary<string, string>? environment, bool kafkaFlag = true)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach ((string name, string value) in environment ?? [])
        {
            start.Environment[name] = value;
        }

        // A later flag wins: a test's --data or --kafka replaces these.
        string[] modeArguments = mode == "serve" ? kafkaFlag ? ["serve", "--kafka", "127.0.0.1:9"] : ["serve"] : ["standalone"];
        string[] arguments = [InvokerProcess.FindInvokerDll(), .. modeArguments, "--data", _data, "--runtime", Repository.NodeRuntime, "--url", url, .. settings ?? []];
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            // It started after all: stop it rather than leave it listening after the test.
            process.Kill(entireProcessTree: true);
            throw;
        }

        await output;
        return (process.ExitCode, (await error).Trim());
    }
}
