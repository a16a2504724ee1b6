using System.Diagnostics;

namespace Perf.Invoker.Tests.Kafka;

/// <summary>`invoker serve` as a child process of a test.</summary>
internal static class InvokerProcess
{
    /// <param name="output">Told each line the invoker writes on stdout (its admin address, for one).</param>
    public static Process Start(KafkaMockBrokerFixture broker, string prefix, string data, int concurrencyMax = 500, int userMemory = 1024, Action<string>? output = null, bool concurrentTopic = false)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(FindInvokerDll());
        foreach (string argument in new[]
        {
            "serve", "--kafka", broker.BootstrapServers, "--instance", "0", "--topic-prefix", prefix, "--data", data,
            "--runtime", Repository.NodeRuntime, "--url", "http://127.0.0.1:0",
            "--user-memory", userMemory.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--concurrency-max", concurrencyMax.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--kafka-option", $"session.timeout.ms={KafkaTestClient.SessionTimeoutMs}",
            "--kafka-option", $"heartbeat.interval.ms={KafkaTestClient.HeartbeatIntervalMs}",
        })
        {
            start.ArgumentList.Add(argument);
        }

        if (concurrentTopic)
        {
            start.ArgumentList.Add("--concurrent-topic");
        }

        Process process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                output?.Invoke(line);
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>SIGTERM, the graceful stop that removes the invoker's containers; SIGKILL if it does not end.</summary>
    public static void Stop(Process invoker)
    {
        Process.Start("kill", ["-TERM", invoker.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        if (!invoker.WaitForExit(30_000))
        {
            invoker.Kill(entireProcessTree: true);
        }
    }

    public static string FindInvokerDll()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string candidate = Path.Combine(Repository.Root, "src", "Host", "bin", output.Parent!.Name, output.Name, "invoker.dll");
        return File.Exists(candidate) ? candidate : throw new FileNotFoundException("build Perf.Invoker.sln first", candidate);
    }
}
