namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// The namespace segment of a path as OpenWhisk reads it (EntityPath): <c>guest</c>, <c>_</c>, or with a package,
/// <c>guest/P</c>, which clients send escaped (<c>guest%2FP</c>, the openwhisk npm client's list of a package's actions).
/// </summary>
internal static class EntityPath
{
    /// <summary>The namespace a path segment names (its first part) and the package after it, if any.</summary>
    public static string Root(string segment, out string? package)
    {
        string path = segment.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
        int slash = path.IndexOf('/');
        package = slash < 0 || slash == path.Length - 1 ? null : path[(slash + 1)..];
        return slash < 0 ? path : path[..slash];
    }
}
