using System.Diagnostics;
using System.Text;

namespace Perf.Invoker.Tests.Kafka;

/// <summary>
/// One librdkafka mock cluster (tools/KafkaMockBroker) in its own process for every Kafka test: started
/// with <c>dotnet KafkaMockBroker.dll</c> from the solution build, its address read from the
/// <c>KAFKA_MOCK_BOOTSTRAP</c> line, killed by its process id at the end. Tests keep apart by topic prefix.
/// </summary>
public sealed class KafkaMockBrokerFixture : IAsyncLifetime
{
    private const string BootstrapMarker = "KAFKA_MOCK_BOOTSTRAP ";

    /// <summary>Bound on every wait for the mock process; a hang fails the test run instead.</summary>
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(30);

    private readonly int _brokers;
    private readonly SemaphoreSlim _commands = new(1, 1);
    private readonly StringBuilder _stderr = new();
    private Process? _process;
    private int _prefixes;

    /// <summary>The collection's broker: one broker.</summary>
    public KafkaMockBrokerFixture()
        : this(brokers: 1)
    {
    }

    /// <summary>A cluster of its own, for a test that takes brokers down or moves leaders (the fault tests); started by <see cref="InitializeAsync"/>.</summary>
    internal KafkaMockBrokerFixture(int brokers) => _brokers = brokers;

    public string BootstrapServers { get; private set; } = "";

    /// <summary>A topic prefix no other test uses, so topics and consumer groups never collide.</summary>
    public string NewPrefix() => $"t{Interlocked.Increment(ref _prefixes)}-";

    public async Task InitializeAsync()
    {
        string dll = FindBrokerDll();
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--rebalance-delay-ms");
        start.ArgumentList.Add("0");
        start.ArgumentList.Add("--brokers");
        start.ArgumentList.Add(_brokers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + dll);
        _process.ErrorDataReceived += (_, e) =>
        {
            lock (_stderr)
            {
                _stderr.AppendLine(e.Data);
            }
        };
        _process.BeginErrorReadLine();

        using var timeout = new CancellationTokenSource(s_startTimeout);
        while (true)
        {
            string? line = await _process.StandardOutput.ReadLineAsync(timeout.Token);
            if (line is null)
            {
                throw new InvalidOperationException($"the mock broker exited before printing its address:\n{Stderr}");
            }

            if (line.StartsWith(BootstrapMarker, StringComparison.Ordinal))
            {
                BootstrapServers = line[BootstrapMarker.Length..].Trim();
                return;
            }
        }
    }

    /// <summary>Creates a topic up front, so a consumer can subscribe before anything is produced.</summary>
    public Task CreateTopicAsync(string name, int partitions = 4) => CommandAsync($"create-topic {name} {partitions}");

    /// <summary>Broker <paramref name="id"/> (1…N) closes its connections and refuses new ones until <see cref="SetBrokerUpAsync"/>.</summary>
    public Task SetBrokerDownAsync(int id) => CommandAsync($"broker-down {id}");

    public Task SetBrokerUpAsync(int id) => CommandAsync($"broker-up {id}");

    /// <summary>Moves the leadership of a partition to broker <paramref name="id"/>.</summary>
    public Task SetLeaderAsync(string topic, int partition, int id) => CommandAsync($"set-leader {topic} {partition} {id}");

    /// <summary>One line of tools/KafkaMockBroker's control interface; its answer must be OK.</summary>
    private async Task CommandAsync(string command)
    {
        Process process = _process ?? throw new InvalidOperationException("not started");
        await _commands.WaitAsync();
        try
        {
            using var timeout = new CancellationTokenSource(s_startTimeout);
            await process.StandardInput.WriteLineAsync(command);
            await process.StandardInput.FlushAsync();
            string? reply = await process.StandardOutput.ReadLineAsync(timeout.Token);
            Assert.True(reply == "OK", $"{command}: {reply}");
        }
        finally
        {
            _commands.Release();
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (_process is null)
        {
            return;
        }

        try
        {
            // Closing stdin asks the broker to stop; the kill below (by this process's id) is the backstop.
            _process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(5000);
            }

            _process.Dispose();
            _commands.Dispose();
        }
    }

    /// <summary>tools/KafkaMockBroker/bin/&lt;configuration&gt;/net10.0/KafkaMockBroker.dll, built with the solution (or this project).</summary>
    private static string FindBrokerDll()
    {
        // This assembly runs from tests/Perf.Invoker.Core.Tests/bin/<configuration>/<tfm>/.
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string tfm = output.Name;
        string configuration = output.Parent!.Name;
        for (DirectoryInfo? dir = output; dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tools", "KafkaMockBroker", "bin", configuration, tfm, "KafkaMockBroker.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"KafkaMockBroker.dll ({configuration}/{tfm}) not found above {output.FullName}: build Perf.Invoker.sln first.");
    }
}

[CollectionDefinition(Name)]
public sealed class KafkaCollection : ICollectionFixture<KafkaMockBrokerFixture>
{
    public const string Name = "Kafka mock broker";
}
