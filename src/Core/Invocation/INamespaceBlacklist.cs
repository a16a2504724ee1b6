namespace Perf.Invoker.Invocation;

/// <summary>
/// Namespaces whose activations are refused before their action is read (docs/cluster.md, "Namespace blacklist"). Read on
/// every message, so a lookup is a set probe, never a database call.
/// </summary>
public interface INamespaceBlacklist
{
    /// <summary>True when the invoking user's namespace (<c>user.namespace.name</c>) is blocked.</summary>
    bool Contains(string @namespace);
}
