using System.Diagnostics;

namespace Perf.Invoker.Benchmarks.Feed;

/// <summary>
/// tools/KafkaMockBroker (librdkafka's mock cluster, a real Kafka-protocol broker on loopback) in its own process, so the
/// broker's work is not counted in this process: started from the solution build, address read from its
/// <c>KAFKA_MOCK_BOOTSTRAP</c> line, asked to stop by closing its stdin, killed by its process id if it does not.
/// </summary>
internal sealed class MockBrokerProcess : IDisposable
{
    private const string BootstrapMarker = "KAFKA_MOCK_BOOTSTRAP ";

    private readonly Process _process;

    private MockBrokerProcess(Process process, string bootstrapServers)
    {
        _process = process;
        BootstrapServers = bootstrapServers;
    }

    public string BootstrapServers { get; }

    /// <summary>Starts the broker with <paramref name="topics"/> of <paramref name="partitions"/> partitions each created up front.</summary>
    public static MockBrokerProcess Start(IEnumerable<string> topics, int partitions) => Start(topics.Select(t => (t, partitions)));

    /// <summary>Starts the broker with each topic created up front with its own number of partitions.</summary>
    public static MockBrokerProcess Start(IEnumerable<(string Topic, int Partitions)> topics)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(FindBrokerDll());
        // A real broker waits 3 s for more members before a new group's first rebalance; one member per group here.
        start.ArgumentList.Add("--rebalance-delay-ms");
        start.ArgumentList.Add("0");
        foreach ((string topic, int partitions) in topics)
        {
            start.ArgumentList.Add("--topic");
            start.ArgumentList.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{topic}:{partitions}"));
        }

        Process process = Process.Start(start) ?? throw new InvalidOperationException("could not start the mock broker");
        while (process.StandardOutput.ReadLine() is { } line)
        {
            if (line.StartsWith(BootstrapMarker, StringComparison.Ordinal))
            {
                return new MockBrokerProcess(process, line[BootstrapMarker.Length..].Trim());
            }
        }

        process.Dispose();
        throw new InvalidOperationException("the mock broker exited before printing its address");
    }

    public void Dispose()
    {
        _process.StandardInput.Close();
        if (!_process.WaitForExit(5000))
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }

        _process.Dispose();
    }

    /// <summary>tools/KafkaMockBroker/bin/&lt;configuration&gt;/&lt;tfm&gt;/KafkaMockBroker.dll, built with the solution.</summary>
    private static string FindBrokerDll()
    {
        // This program runs from bench/Perf.Invoker.Benchmarks/bin/<configuration>/<tfm>/.
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        for (DirectoryInfo? dir = output; dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tools", "KafkaMockBroker", "bin", output.Parent!.Name, output.Name, "KafkaMockBroker.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"KafkaMockBroker.dll not found above {output.FullName}: build Perf.Invoker.sln first.");
    }
}
