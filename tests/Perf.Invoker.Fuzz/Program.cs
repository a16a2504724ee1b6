using Perf.Invoker.Fuzz;
using SharpFuzz;

// Perf.Invoker.Fuzz HARNESS              under afl-fuzz (tests/fuzz/run.sh): inputs on stdin, run in this one process
// Perf.Invoker.Fuzz HARNESS PATH...      replays files (or every file of a folder) and names the first that breaks the contract
if (args.Length == 0 || !FuzzHarnesses.All.TryGetValue(args[0], out Action<ReadOnlyMemory<byte>>? harness))
{
    Console.Error.WriteLine($"usage: Perf.Invoker.Fuzz HARNESS [PATH...]; harnesses: {string.Join(", ", FuzzHarnesses.All.Keys)}");
    return 2;
}

if (args.Length == 1)
{
    // Any exception that leaves the harness is a crash for afl-fuzz; a harness that does not return is a hang.
    Fuzzer.Run(stream =>
    {
        using var input = new MemoryStream();
        stream.CopyTo(input);
        harness(input.GetBuffer().AsMemory(0, (int)input.Length));
    });
    return 0;
}

int replayed = 0;
foreach (string path in args.Skip(1).SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p) : [p]).Order(StringComparer.Ordinal))
{
    try
    {
        harness(File.ReadAllBytes(path));
        replayed++;
    }
#pragma warning disable CA1031 // Whatever the harness threw is the finding: report it with the input's name.
    catch (Exception e)
#pragma warning restore CA1031
    {
        Console.Error.WriteLine($"{path}: {e}");
        return 1;
    }
}

Console.WriteLine($"{args[0]}: {replayed} inputs kept the contract");
return 0;
