namespace Perf.Invoker.Model;

/// <summary>
/// Which records OpenWhisk's activation store keeps (<c>whisk.activation.store-blocking-result-level</c> and
/// <c>store-non-blocking-result-level</c>, docs/cluster.md): every one, or only failures.
/// </summary>
public enum ActivationStoreLevel
{
    /// <summary><c>STORE_ALWAYS</c>, OpenWhisk's default for both.</summary>
    StoreAlways,

    /// <summary><c>STORE_FAILURES</c>: every record that is not a success.</summary>
    StoreFailures,

    /// <summary><c>STORE_FAILURES_NOT_APPLICATION_ERRORS</c>: developer and whisk errors only.</summary>
    StoreFailuresNotApplicationErrors,
}
