using System.Diagnostics.CodeAnalysis;
using Perf.Invoker.Json;
using Perf.Invoker.Model;

namespace Perf.Invoker.Host.Standalone;

/// <summary>OpenWhisk's fully qualified names (FullyQualifiedEntityName, EntityPath) as rules and feeds carry them.</summary>
internal static class EntityNames
{
    public const string DefaultNamespace = "_";

    private const string Malformed = "The fully qualified name of the entity must contain at least the namespace and the name of the entity.";

    /// <summary>
    /// A rule's trigger or action: a string <c>/namespace[/package]/name</c> (the leading slash optional) or an object
    /// <c>{"path":…,"name":…}</c>; the default namespace <c>_</c> is <paramref name="namespace"/>.
    /// </summary>
    public static bool TryParse(RawJson value, string @namespace, [NotNullWhen(true)] out FullyQualifiedEntityName? name, [NotNullWhen(false)] out string? error)
    {
        name = null;
        string path;
        string last;
        try
        {
            if (value.Utf8.Span is [(byte)'{', ..])
            {
                FullyQualifiedEntityName given = JsonModel.Read<FullyQualifiedEntityName>(value.Utf8);
                (path, last) = (given.Path, given.Name);
            }
            else if (value.Utf8.Span is [(byte)'"', ..])
            {
                var reader = new System.Text.Json.Utf8JsonReader(value.Utf8.Span);
                reader.Read();
                string[] segments = reader.GetString()!.Split('/', StringSplitOptions.RemoveEmptyEntries);
                if (segments.Length < 2)
                {
                    error = Malformed;
                    return false;
                }

                (path, last) = (string.Join('/', segments[..^1]), segments[^1]);
            }
            else
            {
                error = "fully qualified name malformed";
                return false;
            }
        }
        catch (JsonReadException e)
        {
            error = e.Message;
            return false;
        }

        string[] parts = [.. path.Split('/', StringSplitOptions.RemoveEmptyEntries), last];
        if (parts.Length < 2 || parts.Length > 3 || !parts.All(part => part == DefaultNamespace || ApiPaths.IsEntityName(part)))
        {
            error = $"path contains invalid parts {string.Join(", ", parts)}";
            return false;
        }

        if (parts[0] == DefaultNamespace)
        {
            parts[0] = @namespace;
        }

        name = new FullyQualifiedEntityName { Path = string.Join('/', parts[..^1]), Name = parts[^1] };
        error = null;
        return true;
    }

    /// <summary>OpenWhisk's EntityPath.validate: one or more entity names separated by '/', a leading '/' allowed (a feed's name).</summary>
    public static bool IsPath(string path)
    {
        string[] parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length > 0 && parts.All(ApiPaths.IsEntityName);
    }

    /// <summary><c>namespace/name</c>: how a trigger keys its rules and how logs name rules and actions.</summary>
    public static string Qualified(string @namespace, string name) => $"{@namespace}/{name}";

    /// <summary>The namespace of a path (its first segment).</summary>
    public static string Root(FullyQualifiedEntityName name)
    {
        int slash = name.Path.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? name.Path : name.Path[..slash];
    }

    /// <summary>The action's name in the actions table of its namespace: <c>NAME</c>, or <c>P/NAME</c> inside package P.</summary>
    public static string ActionKey(FullyQualifiedEntityName action)
    {
        int slash = action.Path.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? action.Name : $"{action.Path[(slash + 1)..]}/{action.Name}";
    }

    /// <summary>OpenWhisk's SemVer.upPatch: 0.0.1 → 0.0.2; a version that is not three numbers starts over at 0.0.1.</summary>
    public static string UpPatch(string version)
    {
        string[] parts = version.Split('.');
        return parts.Length == 3 && int.TryParse(parts[2], out int patch) ? $"{parts[0]}.{parts[1]}.{patch + 1}" : "0.0.1";
    }
}
