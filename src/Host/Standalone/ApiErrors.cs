namespace Perf.Invoker.Host.Standalone;

/// <summary>OpenWhisk's error texts for the REST API (its Messages object), so clients and users see the same words.</summary>
internal static class ApiErrors
{
    public const string Unauthenticated = "The supplied authentication is invalid.";
    public const string Forbidden = "The supplied authentication is not authorized to access this resource.";
    public const string NotFound = "The requested resource does not exist.";
    public const string Conflict = "The requested resource already exists.";
    public const string Internal = "An internal error occurred. The activation or request could not be completed.";
    public const string Disabled = "The invoker is disabled and takes no new activations.";

    public const string ExecUndefined = "exec undefined";
    public const string NotAllowedOnBinding = "Operation not permitted on package binding.";
    public const string BindingDoesNotExist = "Binding references a package that does not exist.";
    public const string PackageCannotBecomeBinding = "Resource is a package and cannot be converted into a binding.";
    public const string BindingCannotReferenceBinding = "Cannot bind to another package binding.";
    public const string DocsNotAllowedWithCount = "The parameter 'docs' is not permitted with 'count'.";
    public const string ParametersNotAllowed = "Request defines parameters that are not allowed (e.g., reserved properties).";

    public static string PackageNameIsReserved(string name) => $"Package name '{name}' is reserved.";

    public static string PackageNotEmpty(long count) => $"Package not empty (contains {count} {(count == 1 ? "entity" : "entities")})";

    public static string MalformedQuery(string name, string reason) => $"The query parameter '{name}' was malformed:\n{reason}";

    public static string StoreUnavailable(string reason) => $"The invoker's store cannot take writes now: {reason}. Nothing was changed; try again later.";

    /// <summary>Messages.systemOverloaded: the durable queue holds its capacity (503).</summary>
    public const string Overloaded = "System is overloaded, try again later.";

    public static string Malformed(string reason) => $"The request content was malformed:\n{reason}";

    public static string TooLarge(long length, long limit) =>
        $"The request content was too large: {length} bytes exceeds the allowed limit of {limit} bytes.";

    public static string TooLargeWithDefaults(long length, long limit) =>
        $"The request content was too large: with the action's default parameters the activation is {length} bytes, over the allowed limit of {limit} bytes.";

    public static string BadName(string what, string name) => $"The {what} name '{name}' is not valid.";
}
