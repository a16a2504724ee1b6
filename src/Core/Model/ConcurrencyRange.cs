namespace Perf.Invoker.Model;

/// <summary>
/// The system's allowed range of an action's concurrency (docs/openwhisk.md §7: OpenWhisk's default is
/// {min 1, max 1, std 1}, which turns the feature off; operators raise max, 500 in its local deployment).
/// </summary>
public sealed record ConcurrencyRange(int Min = 1, int Max = 500, int Std = 1)
{
    /// <summary>Null when <paramref name="concurrency"/> is allowed, otherwise OpenWhisk's message, word for word.</summary>
    public string? Check(int concurrency) =>
        concurrency < Min ? $"concurrency {concurrency} below allowed threshold of {Min}"
        : concurrency > Max ? $"concurrency {concurrency} exceeds allowed threshold of {Max}"
        : null;
}
