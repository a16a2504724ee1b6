namespace Perf.Invoker.ActionProtocol;

/// <summary>OpenWhisk's activation messages, word for word (docs/openwhisk.md §4; ActivationResponse.scala's Messages).</summary>
public static class ActionMessages
{
    public const string AbnormalRun = "The action did not produce a valid response and exited unexpectedly.";

    public const string AbnormalInitialization = "The action did not initialize and exited unexpectedly.";

    public const string MemoryExhausted = "The action exhausted its memory and was aborted.";

    public const string ResourceError = "Failed to provision resources to run the action.";

    public static string TimedOut(TimeSpan limit, bool duringInit) =>
        $"The action exceeded its time limits of {(long)limit.TotalMilliseconds} milliseconds{(duringInit ? " during initialization." : ".")}";

    public static string InvalidRunResponse(string actual) =>
        "The action did not produce a valid JSON or JSON Array response" + (actual.Length > 0 ? ": " + actual : ".");

    public static string InvalidInitResponse(string actual) =>
        "The action failed during initialization" + (actual.Length > 0 ? ": " + actual : ".");

    public static string Truncated(long length, long maxLength) =>
        $"The action produced a response that exceeded the allowed length: {length} > {maxLength} bytes.";
}
