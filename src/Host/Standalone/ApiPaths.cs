using System.Text.RegularExpressions;

namespace Perf.Invoker.Host.Standalone;

/// <summary>Names in API paths (OpenWhisk's EntityName rule) and the namespace a path addresses.</summary>
internal static partial class ApiPaths
{
    /// <summary>OpenWhisk's limit on an entity name's length.</summary>
    public const int MaxNameLength = 256;

    /// <summary>OpenWhisk's EntityName: word characters, then also '@', ' ', '.', '-'; not ending in a space.</summary>
    public static bool IsEntityName(string name) => name.Length <= MaxNameLength && EntityName().IsMatch(name);

    [GeneratedRegex(@"\A([\w]|[\w][\w@ .-]*[\w@.-]+)\z", RegexOptions.CultureInvariant)]
    private static partial Regex EntityName();
}
