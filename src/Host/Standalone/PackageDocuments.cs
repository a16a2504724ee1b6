using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Store;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// A package as OpenWhisk's REST API shows it (WhiskPackage, and WhiskPackageWithActions for a GET):
/// <c>binding</c> is <c>{}</c> for a package, <c>actions</c> and <c>feeds</c> only in a GET.
/// </summary>
[JsonModel]
internal sealed partial class PackageDocument
{
    public required string Namespace { get; init; }

    public required string Name { get; init; }

    public required RawJson Binding { get; init; }

    public required Parameter[] Parameters { get; init; }

    public required string Version { get; init; }

    public required bool Publish { get; init; }

    public required Parameter[] Annotations { get; init; }

    public PackageActionDocument[]? Actions { get; init; }

    public PackageActionDocument[]? Feeds { get; init; }

    /// <param name="actions">The actions to list (a GET: those with a <c>feed</c> annotation are its feeds), or null.</param>
    public static PackageDocument Of(StoredPackage package, Parameter[] parameters, IReadOnlyList<StoredAction>? actions) => new()
    {
        Namespace = package.Namespace,
        Name = package.Name,
        Binding = package.Spec.BoundPackage is { } bound ? RawJson.FromTrusted(JsonModel.ToUtf8Bytes(bound)) : RawJson.EmptyObject,
        Parameters = parameters,
        Version = package.Version,
        Publish = package.Spec.Publish ?? false,
        Annotations = package.Spec.Annotations ?? [],
        Actions = actions?.Where(a => !IsFeed(a)).Select(PackageActionDocument.Of).ToArray(),
        Feeds = actions?.Where(IsFeed).Select(PackageActionDocument.Of).ToArray(),
    };

    private static bool IsFeed(StoredAction action) => action.Spec.Annotations?.Any(a => a.Key == "feed") == true;
}

/// <summary>An action in a package's GET: <c>{"name":…,"version":…,"annotations":[…]}</c> (WhiskPackageAction).</summary>
[JsonModel]
internal sealed partial class PackageActionDocument
{
    public required string Name { get; init; }

    public required string Version { get; init; }

    public required Parameter[] Annotations { get; init; }

    public static PackageActionDocument Of(StoredAction action) => new()
    {
        Name = action.EntityName,
        Version = action.Version,
        Annotations = action.Spec.Annotations ?? [],
    };
}

/// <summary>A package in a list: OpenWhisk's view summary, with <c>binding</c> false for a package.</summary>
[JsonModel]
internal sealed partial class PackageSummaryDocument
{
    public required string Namespace { get; init; }

    public required string Name { get; init; }

    public required string Version { get; init; }

    public required bool Publish { get; init; }

    public required Parameter[] Annotations { get; init; }

    public required RawJson Binding { get; init; }

    public static PackageSummaryDocument Of(StoredPackage package) => new()
    {
        Namespace = package.Namespace,
        Name = package.Name,
        Version = package.Version,
        Publish = package.Spec.Publish ?? false,
        Annotations = package.Spec.Annotations ?? [],
        Binding = package.Spec.BoundPackage is { } bound ? RawJson.FromTrusted(JsonModel.ToUtf8Bytes(bound)) : RawJson.False,
    };
}
