using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Perf.Invoker.Store;
using Perf.Invoker.Tests.Kafka;
using Perf.Invoker.Tests.Support;

namespace Perf.Invoker.Tests.Standalone;

/// <summary>What an operator gets when `invoker standalone` cannot start: one line naming the problem and exit code 2, no stack trace.</summary>
[Trait("Category", "Process")]
public sealed class StandaloneStartupTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("invoker-startup-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public async Task A_port_already_in_use_is_a_one_line_error_and_exit_code_2()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();

        (int code, string error) = await RunAsync($"http://127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}");

        Assert.Equal(2, code);
        Assert.StartsWith("invoker standalone: ", error, StringComparison.Ordinal);
        Assert.Contains("address already in use", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_address_kestrel_refuses_is_a_one_line_error_and_exit_code_2()
    {
        (int code, string error) = await RunAsync("http://localhost:0");

        Assert.Equal(2, code);
        Assert.StartsWith("invoker standalone: ", error, StringComparison.Ordinal);
        Assert.Contains("localhost", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_store_that_is_not_a_database_is_a_one_line_error_naming_it_and_exit_code_2()
    {
        File.WriteAllText(Path.Combine(_data, "invoker.db"), "not a database");

        (int code, string error) = await RunAsync("http://127.0.0.1:0");

        Assert.Equal(2, code);
        Assert.StartsWith("invoker standalone: ", error, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(_data, "invoker.db"), error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_file_that_cannot_be_read_is_a_one_line_error_and_exit_code_2()
    {
        Directory.CreateDirectory(Path.Combine(_data, "namespaces"));

        (int code, string error) = await RunAsync("http://127.0.0.1:0");

        Assert.Equal(2, code);
        Assert.StartsWith("invoker standalone: ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", error, StringComparison.Ordinal);
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

        (int code, string error) = await RunAsync("http://127.0.0.1:0");

        Assert.Equal(1, code);
        Assert.Contains("invoker standalone: the feed stopped (SqliteException: ", error, StringComparison.Ordinal);
        Assert.Contains("a supervisor restarts the invoker", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--user-memory", "0", "--user-memory must be at least 128")]
    [InlineData("--user-memory", "-5", "--user-memory must be at least 128")]
    [InlineData("--concurrency-max", "0", "--concurrency-max must be at least 1")]
    [InlineData("--concurrency-max", "99999999999", "a setting is not a number")]
    [InlineData("--peek-factor", "NaN", "--peek-factor must be a finite number of at least 0")]
    [InlineData("--peek-factor", "-1", "--peek-factor must be a finite number of at least 0")]
    [InlineData("--url", "ftp://127.0.0.1:1", "--url must be an http:// address")]
    [InlineData("--url", "http://[::1", "--url must be an http:// address")]
    [InlineData("--url", "http://127.0.0.1:0/api", "--url must be an http:// address without a path")]
    public async Task A_setting_out_of_its_range_is_a_one_line_error_and_exit_code_2(string flag, string value, string reason)
    {
        (int code, string error) = await RunAsync("http://127.0.0.1:0", flag, value);

        Assert.Equal(2, code);
        Assert.StartsWith("invoker: ", error, StringComparison.Ordinal);
        Assert.Contains(reason, error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", error, StringComparison.Ordinal);
    }

    private async Task<(int Code, string Error)> RunAsync(string url, params string[] settings)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { InvokerProcess.FindInvokerDll(), "standalone", "--data", _data, "--runtime", Repository.NodeRuntime, "--url", url }.Concat(settings))
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
