using Perf.Invoker.Json;

namespace Perf.Invoker.Model;

/// <summary>
/// A package as the REST API takes it and the store keeps it (OpenWhisk's WhiskPackage):
/// <c>{"binding":{…},"parameters":[…],"annotations":[…],"publish":false}</c>. A package with a binding is a
/// binding: it names another package, whose actions it shares, and adds its own parameters.
/// </summary>
[JsonModel]
public sealed partial class PackageSpec
{
    [JsonIntern]
    public string? Namespace { get; init; }

    [JsonIntern]
    public string? Name { get; init; }

    /// <summary>The bound package; OpenWhisk writes <c>{}</c> for none, which reads as a binding without names.</summary>
    public PackageBinding? Binding { get; init; }

    public Parameter[]? Parameters { get; init; }

    public Parameter[]? Annotations { get; init; }

    public bool? Publish { get; init; }

    [JsonIntern]
    public string? Version { get; init; }

    /// <summary>The bound package when this is a binding; null for a package (also for OpenWhisk's empty <c>{}</c>).</summary>
    public PackageBinding? BoundPackage => Binding is { Namespace.Length: > 0, Name.Length: > 0 } ? Binding : null;
}

/// <summary>A binding's reference to the package it binds: <c>{"namespace":"guest","name":"utils"}</c>.</summary>
[JsonModel]
public sealed partial class PackageBinding
{
    [JsonIntern]
    public string? Namespace { get; init; }

    [JsonIntern]
    public string? Name { get; init; }
}
