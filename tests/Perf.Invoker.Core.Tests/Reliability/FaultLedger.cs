using System.Globalization;
using Xunit.Abstractions;

namespace Perf.Invoker.Tests.Reliability;

/// <summary>
/// What one run of a fault did to the activations it touched, counted from what the system left behind (records, answers,
/// executions) against what it accepted: docs/architecture.md §3 invariant 1 and 3 as numbers, the columns of
/// docs/reliability.md. <see cref="AssertNothingLost"/> is the reusable check; every row of the matrix ends in it.
/// </summary>
/// <param name="Row">The fault, as the table names it.</param>
/// <param name="InFlight">Activations in flight when the fault struck.</param>
/// <param name="Accepted">Activations the system accepted (enqueued, or answered 202/200 by the API).</param>
/// <param name="Lost">Accepted activations with neither a record nor an answer: nobody will ever learn their outcome.</param>
/// <param name="ExecutedTwice">Executions beyond the first of one activation (the runtime's own count of /run calls).</param>
/// <param name="RecordsMissing">Accepted activations without a stored record.</param>
/// <param name="RecordsDoubled">Records beyond the first of one activation.</param>
/// <param name="AnswersMissing">Accepted activations without their one ack (or, end to end, requests without an HTTP answer).</param>
/// <param name="AnswersDoubled">Acks beyond the first of one activation.</param>
/// <param name="RecoverMilliseconds">From the fault until a new activation of the same action succeeded, or the invoker was back.</param>
internal sealed record FaultLedger(
    string Row,
    int InFlight,
    int Accepted,
    int Lost,
    int ExecutedTwice,
    int RecordsMissing,
    int RecordsDoubled,
    int AnswersMissing,
    int AnswersDoubled,
    long RecoverMilliseconds)
{
    /// <summary>Counts a run: the ids accepted, the record ids stored (duplicates kept), the answer ids (duplicates kept), and the executions.</summary>
    public static FaultLedger Count(
        string row,
        int inFlight,
        IReadOnlyCollection<string> accepted,
        IEnumerable<string> records,
        IEnumerable<string> answers,
        IEnumerable<string> executions,
        long recoverMilliseconds)
    {
        Dictionary<string, int> recordCounts = Tally(records);
        Dictionary<string, int> answerCounts = Tally(answers);
        Dictionary<string, int> executionCounts = Tally(executions);
        var acceptedSet = accepted.ToHashSet(StringComparer.Ordinal);
        return new FaultLedger(
            row,
            inFlight,
            accepted.Count,
            Lost: acceptedSet.Count(id => !recordCounts.ContainsKey(id) && !answerCounts.ContainsKey(id)),
            ExecutedTwice: executionCounts.Values.Sum(n => n - 1),
            RecordsMissing: acceptedSet.Count(id => !recordCounts.ContainsKey(id)),
            RecordsDoubled: recordCounts.Values.Sum(n => n - 1),
            AnswersMissing: acceptedSet.Count(id => !answerCounts.ContainsKey(id)),
            AnswersDoubled: answerCounts.Values.Sum(n => n - 1),
            recoverMilliseconds);
    }

    /// <summary>
    /// Nothing lost, no record or answer missing or doubled, and at most <paramref name="mayRunTwice"/> executions again
    /// (those in flight at a crash of the invoker itself; 0 for every fault the invoker survives).
    /// </summary>
    public FaultLedger AssertNothingLost(int mayRunTwice = 0)
    {
        Assert.True(Lost == 0, $"{Row}: {Lost} of {Accepted} accepted activations lost");
        Assert.True(RecordsMissing == 0, $"{Row}: {RecordsMissing} records missing");
        Assert.True(RecordsDoubled == 0, $"{Row}: {RecordsDoubled} records doubled");
        Assert.True(AnswersMissing == 0, $"{Row}: {AnswersMissing} answers missing");
        Assert.True(AnswersDoubled == 0, $"{Row}: {AnswersDoubled} answers doubled");
        Assert.InRange(ExecutedTwice, 0, mayRunTwice);
        return this;
    }

    /// <summary>
    /// One line per run, <c>FAULT-ROW|…</c>, to the test output and, when <c>PERF_INVOKER_FAULT_LOG</c> names a file, appended
    /// there: docs/reliability.md's table is made of these lines.
    /// </summary>
    public FaultLedger Report(ITestOutputHelper output)
    {
        string line = string.Create(CultureInfo.InvariantCulture,
            $"FAULT-ROW|{Row}|{InFlight}|{Accepted}|{Lost}|{ExecutedTwice}|{RecordsMissing}|{RecordsDoubled}|{AnswersMissing}|{AnswersDoubled}|{RecoverMilliseconds}");
        output.WriteLine(line);
        if (Environment.GetEnvironmentVariable("PERF_INVOKER_FAULT_LOG") is { Length: > 0 } log)
        {
            lock (s_log)
            {
                File.AppendAllText(log, line + Environment.NewLine);
            }
        }

        return this;
    }

    private static readonly Lock s_log = new();

    private static Dictionary<string, int> Tally(IEnumerable<string> ids)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string id in ids)
        {
            if (id.Length > 0)
            {
                counts[id] = counts.GetValueOrDefault(id) + 1;
            }
        }

        return counts;
    }
}
