using Perf.Invoker.Json;

namespace Perf.Invoker.Store;

/// <summary>
/// Which records are stored (docs/cluster.md, "Activation records"): OpenWhisk's <c>storeAfterCheck</c>. A record is
/// stored unless the user's limits say <c>storeActivations: false</c>; then always when the transaction asks for extra
/// logging (<c>X-OW-EXTRA-LOGGING</c>), otherwise as the level for blocking or non-blocking activations allows.
/// </summary>
public sealed class ActivationStorePolicy(ActivationStoreLevel blocking, ActivationStoreLevel nonBlocking)
{
    /// <summary>OpenWhisk's default: both levels <c>STORE_ALWAYS</c>.</summary>
    public static ActivationStorePolicy Always { get; } = new(ActivationStoreLevel.StoreAlways, ActivationStoreLevel.StoreAlways);

    /// <summary><c>whisk.activation.store-blocking-result-level</c>.</summary>
    public ActivationStoreLevel Blocking => blocking;

    /// <summary><c>whisk.activation.store-non-blocking-result-level</c>.</summary>
    public ActivationStoreLevel NonBlocking => nonBlocking;

    /// <summary>A level as OpenWhisk's configuration spells it: <c>STORE_ALWAYS</c>, <c>STORE_FAILURES</c>, <c>STORE_FAILURES_NOT_APPLICATION_ERRORS</c>.</summary>
    /// <exception cref="FormatException">Any other value.</exception>
    public static ActivationStoreLevel ParseLevel(string value) => value switch
    {
        "STORE_ALWAYS" => ActivationStoreLevel.StoreAlways,
        "STORE_FAILURES" => ActivationStoreLevel.StoreFailures,
        "STORE_FAILURES_NOT_APPLICATION_ERRORS" => ActivationStoreLevel.StoreFailuresNotApplicationErrors,
        _ => throw new FormatException($"'{value}' is not an activation store level (STORE_ALWAYS, STORE_FAILURES, STORE_FAILURES_NOT_APPLICATION_ERRORS)."),
    };

    /// <param name="statusCode">The record's <c>response.statusCode</c> (docs/openwhisk.md §4).</param>
    /// <param name="userLimits">The message's <c>user.limits</c>, verbatim; empty when unknown (a malformed message).</param>
    public bool ShouldStore(int statusCode, bool blocking, bool extraLogging, RawJson userLimits)
    {
        if (!StoresActivations(userLimits))
        {
            return false;
        }

        if (extraLogging)
        {
            return true;
        }

        return (blocking ? Blocking : NonBlocking) switch
        {
            ActivationStoreLevel.StoreFailures => statusCode != 0,
            // Developer (2) and whisk (3) errors only: an application error is the action's own answer.
            ActivationStoreLevel.StoreFailuresNotApplicationErrors => statusCode is 2 or 3,
            _ => true,
        };
    }

    /// <summary><c>user.limits.storeActivations</c>, true when absent. Limits are usually <c>{}</c>: parsed only when they name it.</summary>
    private static bool StoresActivations(RawJson userLimits)
    {
        if (userLimits.IsEmpty || userLimits.Utf8.Span.IndexOf("\"storeActivations\""u8) < 0)
        {
            return true;
        }

        try
        {
            return JsonModel.Read<StoreActivationsLimit>(userLimits.Utf8).StoreActivations ?? true;
        }
        catch (JsonReadException)
        {
            // The controller wrote these limits; one it cannot have written stores, as OpenWhisk's default does.
            return true;
        }
    }
}

/// <summary>OpenWhisk's store levels (docs/cluster.md, "Activation records"), per blocking and non-blocking activations.</summary>
public enum ActivationStoreLevel
{
    /// <summary>Every record (OpenWhisk's default).</summary>
    StoreAlways,

    /// <summary>Records whose status code is not 0.</summary>
    StoreFailures,

    /// <summary>Records of developer errors (2) and whisk errors (3).</summary>
    StoreFailuresNotApplicationErrors,
}

/// <summary>The one member of <c>user.limits</c> the invoker reads; the others are skipped.</summary>
[JsonModel]
internal sealed partial class StoreActivationsLimit
{
    public bool? StoreActivations { get; init; }
}
