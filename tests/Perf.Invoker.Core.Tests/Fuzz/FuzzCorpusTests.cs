using Perf.Invoker.Fuzz;

namespace Perf.Invoker.Tests.Fuzz;

/// <summary>
/// CI's bounded fuzzing, first half: every input of a harness's corpus (tests/fuzz/corpus/HARNESS, hand seeds and what
/// AFL++ found, minimised) keeps the harness's contract in process. The other half is test.sh's short afl-fuzz run of
/// each harness (tests/fuzz/run.sh all 20).
/// </summary>
[Trait("Category", "Unit")]
public sealed class FuzzCorpusTests
{
    /// <summary>The corpus stays small enough to commit and to replay in seconds.</summary>
    private const long MaxCorpusBytes = 1024 * 1024;

    public static TheoryData<string> Harnesses => [.. FuzzHarnesses.All.Keys];

    private static string Corpus(string harness) => Path.Combine(Repository.Root, "tests", "fuzz", "corpus", harness);

    [Theory]
    [MemberData(nameof(Harnesses))]
    public void Every_corpus_input_keeps_the_harness_contract(string harness)
    {
        string[] inputs = Directory.GetFiles(Corpus(harness));
        Assert.NotEmpty(inputs);
        var broken = new List<string>();
        foreach (string input in inputs.Order(StringComparer.Ordinal))
        {
            try
            {
                FuzzHarnesses.All[harness](File.ReadAllBytes(input));
            }
#pragma warning disable CA1031 // Every finding is collected, so one run names them all.
            catch (Exception e)
#pragma warning restore CA1031
            {
                broken.Add($"{Path.GetFileName(input)}: {e.GetType().Name}: {e.Message}");
            }
        }

        Assert.True(broken.Count == 0, $"{broken.Count} of {inputs.Length} inputs broke {harness}:\n" + string.Join("\n", broken));
    }

    [Theory]
    [MemberData(nameof(Harnesses))]
    public void The_corpus_is_under_a_megabyte(string harness)
    {
        long bytes = Directory.GetFiles(Corpus(harness)).Sum(f => new FileInfo(f).Length);

        Assert.InRange(bytes, 1, MaxCorpusBytes);
    }
}
