using Perf.Invoker.Model;

namespace Perf.Invoker.Store;

/// <summary>A package or binding as stored: its spec, where it lives, and its revision.</summary>
public sealed class StoredPackage(string @namespace, string name, long revision, PackageSpec spec)
{
    public string Namespace { get; } = @namespace;

    public string Name { get; } = name;

    /// <summary>1 when created, one more on every update.</summary>
    public long Revision { get; } = revision;

    public PackageSpec Spec { get; } = spec;

    /// <summary>OpenWhisk's semantic version of this revision, as for actions: 0.0.1, 0.0.2, …</summary>
    public string Version => Spec.Version ?? $"0.0.{Revision}";

    /// <summary><c>namespace/name</c>: the namespace its actions live in, as OpenWhisk's documents write it.</summary>
    public string Path => $"{Namespace}/{Name}";
}
