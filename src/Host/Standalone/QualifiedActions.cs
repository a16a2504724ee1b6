using Perf.Invoker.Store;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// An action named the way OpenWhisk names one outside its own collection path: a sequence's component
/// (<c>/namespace/name</c>, <c>/namespace/package/name</c>) or a web action's path (namespace, package or <c>default</c>,
/// name). The store's <see cref="ActionResolver"/> finds it (a binding's too), with its package's parameters merged.
/// </summary>
internal sealed class QualifiedActions(ActionResolver resolver)
{
    /// <summary>OpenWhisk's text for a name that is not <c>namespace/[package/]name</c>.</summary>
    public const string MalformedName = "The fully qualified name of the entity must contain at least the namespace and the name of the entity.";

    /// <summary>
    /// The action <paramref name="package"/> (null for none) and <paramref name="name"/> name in <paramref name="namespace"/>.
    /// Null when there is none; the caller's entitlement is checked where the name was given, not here.
    /// </summary>
    public async ValueTask<ResolvedAction?> FindAsync(string @namespace, string? package, string name, CancellationToken cancellationToken)
    {
        ResolvedAction resolved = await resolver.ResolveAsync(@namespace, package is null ? name : $"{package}/{name}", caller: null, cancellationToken);
        return resolved.Status == ResolveStatus.Found ? resolved : null;
    }

    public ValueTask<ResolvedAction?> FindAsync(EntityName entity, CancellationToken cancellationToken) =>
        FindAsync(entity.Namespace, entity.Package, entity.Name, cancellationToken);

    /// <summary>
    /// <paramref name="text"/> as OpenWhisk's EntityPath reads a fully qualified name (a leading '/' optional, at least a
    /// namespace and a name, each segment an entity name), with <c>_</c> as <paramref name="userNamespace"/>; null when malformed.
    /// Segments between the namespace and the name form the package, so a name deeper than a package finds nothing.
    /// </summary>
    public static EntityName? Parse(string text, string userNamespace)
    {
        string[] segments = (text.StartsWith('/') ? text[1..] : text).Split('/');
        if (segments.Length < 2 || !Array.TrueForAll(segments, ApiPaths.IsEntityName))
        {
            return null;
        }

        string ns = segments[0] == "_" ? userNamespace : segments[0];
        string? package = segments.Length > 2 ? string.Join('/', segments[1..^1]) : null;
        return new EntityName(ns, package, segments[^1]);
    }
}

/// <summary>An action's fully qualified name: namespace, package (null in the default package) and name.</summary>
internal sealed record EntityName(string Namespace, string? Package, string Name)
{
    /// <summary>The action's name in its namespace's actions table: <c>NAME</c> or <c>PACKAGE/NAME</c>.</summary>
    public string StoreName => Package is null ? Name : $"{Package}/{Name}";

    /// <summary><c>/namespace/[package/]name</c>, as OpenWhisk writes a sequence's components.</summary>
    public override string ToString() => $"/{Namespace}/{StoreName}";
}
