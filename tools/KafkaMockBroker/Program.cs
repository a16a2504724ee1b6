using System.Globalization;
using System.Runtime.InteropServices;
using Perf.Invoker.Tools.KafkaMockBroker;

// Hosts librdkafka's mock cluster (docs/architecture.md §2 "Kafka in tests") so tests can start, kill and restart
// invokers against one broker whose topics and committed offsets outlive them.
//
//   KafkaMockBroker [--brokers N] [--rebalance-delay-ms MS] [--topic NAME[:PARTITIONS]]... [--ignore-stdin]
//
// Prints "KAFKA_MOCK_BOOTSTRAP host:port[,host:port...]" on stdout once the cluster listens, then runs
// until stdin closes (the parent went away) or SIGTERM/SIGINT. Each stdin line is a command:
//   create-topic NAME PARTITIONS   → "OK" or "ERROR <code>"
//   broker-down ID, broker-up ID    → the same; brokers are numbered 1…N (fault tests: a broker outage)
//   set-leader TOPIC PARTITION ID   → the same (fault tests: a partition leader change)
int brokers = 1;
int rebalanceDelayMs = 0;
bool ignoreStdin = false;
var topics = new List<(string Name, int Partitions)>();
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--brokers":
            brokers = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--rebalance-delay-ms":
            rebalanceDelayMs = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--topic":
            string[] parts = args[++i].Split(':');
            topics.Add((parts[0], parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : 4));
            break;
        case "--ignore-stdin":
            ignoreStdin = true;
            break;
        default:
            Console.Error.WriteLine($"unknown argument '{args[i]}'");
            return 2;
    }
}

using var cluster = MockCluster.Create(brokers);
// A real broker waits 3 s for more members before the first rebalance of a new group; tests start
// one consumer at a time, so they need not wait.
cluster.SetInitialRebalanceDelay(rebalanceDelayMs);
foreach (var (name, partitions) in topics)
{
    cluster.CreateTopic(name, partitions);
}

using var stop = new ManualResetEventSlim();
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);

Console.Out.WriteLine($"KAFKA_MOCK_BOOTSTRAP {cluster.Bootstraps}");
Console.Out.Flush();

if (!ignoreStdin)
{
    var reader = new Thread(() =>
    {
        while (Console.In.ReadLine() is { } line)
        {
            string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int? error = words switch
            {
                ["create-topic", var name, var count] => cluster.CreateTopic(name, Number(count)),
                ["broker-down", var id] => cluster.SetBrokerDown(Number(id)),
                ["broker-up", var id] => cluster.SetBrokerUp(Number(id)),
                ["set-leader", var topic, var partition, var id] => cluster.SetPartitionLeader(topic, Number(partition), Number(id)),
                _ => null,
            };
            if (error is { } code)
            {
                Console.Out.WriteLine(code == 0 ? "OK" : $"ERROR {code}");
            }
            else if (words.Length > 0)
            {
                Console.Out.WriteLine($"ERROR unknown command '{words[0]}'");
            }

            Console.Out.Flush();
        }

        stop.Set();
    })
    { IsBackground = true, Name = "stdin" };
    reader.Start();
}

stop.Wait();
return 0;

static int Number(string text) => int.Parse(text, CultureInfo.InvariantCulture);

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Set();
}
