namespace Perf.Invoker.Fuzz;

/// <summary>
/// Every harness by the name tests/fuzz/run.sh and the corpus folders (tests/fuzz/corpus/NAME) use. A harness feeds one
/// input to a parser and returns when the parser kept its contract: a value, or its documented error. Anything it
/// throws is a finding (a crash for afl-fuzz, a failed corpus test in CI).
/// </summary>
public static class FuzzHarnesses
{
    public static IReadOnlyDictionary<string, Action<ReadOnlyMemory<byte>>> All { get; } = new Dictionary<string, Action<ReadOnlyMemory<byte>>>
    {
        ["http-response"] = HttpResponseHarness.Run,
        ["activation-message"] = ActivationMessageHarness.Run,
        ["runtime-reply"] = RuntimeReplyHarness.Run,
        ["action-document"] = ActionDocumentHarness.Run,
        ["api-request"] = ApiRequestHarness.Run,
    };
}
