using Perf.Invoker.Model;

namespace Perf.Invoker.Store;

/// <summary>An action document as stored: its spec, where it lives, and its revision.</summary>
public sealed class StoredAction
{
    /// <summary>Built on first use; one per (namespace, name, revision) because a stored action never changes.</summary>
    private ExecutableAction? _executable;

    public StoredAction(string @namespace, string name, long revision, ActionSpec spec)
    {
        Namespace = @namespace;
        Name = name;
        Revision = revision;
        Spec = spec;
    }

    public string Namespace { get; }

    /// <summary>The name in the store: <c>NAME</c>, or <c>P/NAME</c> for an action in package P.</summary>
    public string Name { get; }

    /// <summary>The package the action is in, or null for one outside any package.</summary>
    public string? Package => Name.IndexOf('/') is var slash and > 0 ? Name[..slash] : null;

    /// <summary>The namespace OpenWhisk's documents and activation messages give it: <c>guest</c>, or <c>guest/P</c> in package P.</summary>
    public string Path => Package is { } package ? $"{Namespace}/{package}" : Namespace;

    /// <summary>The name OpenWhisk's documents and activation messages give it, without its package.</summary>
    public string EntityName => Name.IndexOf('/') is var slash and > 0 ? Name[(slash + 1)..] : Name;

    /// <summary>1 when created, one more on every overwrite.</summary>
    public long Revision { get; }

    public ActionSpec Spec { get; }

    /// <summary>OpenWhisk's semantic version of this revision: 0.0.1 when created, 0.0.2 after the first update, …</summary>
    public string Version => Spec.Version ?? $"0.0.{Revision}";

    /// <summary>The action as the invoker runs it, made once for this revision; in a package its namespace is <c>guest/P</c>, as in OpenWhisk.</summary>
    public ExecutableAction Executable => _executable ??= new ExecutableAction(Path, EntityName, Spec, Version);
}
