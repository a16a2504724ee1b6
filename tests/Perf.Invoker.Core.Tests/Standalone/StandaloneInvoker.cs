using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Perf.Invoker.Tests.Kafka;

namespace Perf.Invoker.Tests.Standalone;

/// <summary>`invoker standalone` as a child process on a free loopback port, with an HTTP client for its first key.</summary>
internal sealed class StandaloneInvoker : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private StandaloneInvoker(Process process, string dataDirectory)
    {
        _process = process;
        DataDirectory = dataDirectory;
    }

    public string DataDirectory { get; }

    public string Url { get; private set; } = "";

    /// <summary><c>uuid:key</c> of the first namespace in the data directory's key file.</summary>
    public string ApiKey { get; private set; } = "";

    public HttpClient Client { get; private set; } = null!;

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
    /// Starts the invoker on <paramref name="dataDirectory"/> (a new one when null) and waits until it listens. The
    /// namespaces' limits are lifted (OpenWhisk's defaults, 30 in flight and 60 a minute, are below what most tests
    /// send); <paramref name="settings"/> come after, so a test of the limits sets its own.
    /// </summary>
    public static async Task<StandaloneInvoker> StartAsync(string? dataDirectory = null, int concurrencyMax = 500, int userMemory = 2048, params string[] settings)
    {
        dataDirectory ??= Directory.CreateTempSubdirectory("invoker-standalone-").FullName;
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(InvokerProcess.FindInvokerDll());
        foreach (string argument in new[]
        {
            "standalone", "--data", dataDirectory, "--runtime", Repository.NodeRuntime, "--url", "http://127.0.0.1:0",
            "--concurrency-max", concurrencyMax.ToString(CultureInfo.InvariantCulture),
            "--user-memory", userMemory.ToString(CultureInfo.InvariantCulture),
            "--concurrent-invocations", "1000000", "--invocations-per-minute", "2000000000",
        })
        {
            start.ArgumentList.Add(argument);
        }

        foreach (string setting in settings)
        {
            start.ArgumentList.Add(setting);
        }

        var invoker = new StandaloneInvoker(Process.Start(start)!, dataDirectory);
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Line(string? line)
        {
            if (line is null)
            {
                listening.TrySetResult();
                return;
            }

            lock (invoker._output)
            {
                invoker._output.AppendLine(line);
            }

            if (line.StartsWith("invoker standalone listening on ", StringComparison.Ordinal))
            {
                invoker.Url = line["invoker standalone listening on ".Length..].Trim();
            }
            else if (line.Contains(", auth ", StringComparison.Ordinal))
            {
                invoker.ApiKey = line[(line.IndexOf(", auth ", StringComparison.Ordinal) + 7)..].Trim();
                listening.TrySetResult();
            }
        }

        invoker._process.OutputDataReceived += (_, e) => Line(e.Data);
        invoker._process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (invoker._output)
                {
                    invoker._output.AppendLine(e.Data);
                }
            }
        };
        invoker._process.BeginOutputReadLine();
        invoker._process.BeginErrorReadLine();
        await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(invoker.ApiKey.Length > 0, "the invoker did not start:\n" + invoker.Output);
        invoker.Client = ClientFor(invoker.Url, invoker.ApiKey);
        return invoker;
    }

    public static HttpClient ClientFor(string url, string apiKey) => new()
    {
        BaseAddress = new Uri(url + "/api/v1/namespaces/"),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(apiKey))) },
        Timeout = TimeSpan.FromMinutes(2),
    };

    /// <summary>SIGTERM without waiting for the exit: the graceful stop begins while the test goes on.</summary>
    public void Terminate() => Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();

    /// <summary>Waits for the process to end by itself (after <see cref="Terminate"/>); its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no shutdown, runtimes orphaned, whatever was in flight is cut off.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (!_process.HasExited)
        {
            InvokerProcess.Stop(_process);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
