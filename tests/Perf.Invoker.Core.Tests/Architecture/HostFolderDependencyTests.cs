using System.Reflection;
using System.Text.RegularExpressions;
using Perf.Invoker.Tests.Kafka;

namespace Perf.Invoker.Tests.Architecture;

/// <summary>
/// Pins the host's folder picture (README.md's Layout, docs/architecture.md §1): a folder of src/Host is the namespace
/// <c>Perf.Invoker.Host.X</c>, and the host reads top down: the command line (the root: Program, InvokerCommand)
/// dispatches to the modes (Standalone, Serve), which run the shared engine (Engine); a mode never uses the other mode
/// nor the root, the engine uses nothing of the host. Read from the built invoker.dll, loaded beside the tests (its
/// Perf.Invoker.Core is the tests' own, ASP.NET Core their framework), with the IL scan of Core's picture.
/// </summary>
[Trait("Category", "Unit")]
public sealed partial class HostFolderDependencyTests
{
    /// <summary>The allowed edges, folder to the folders of the host it may use (Core's folders are all below the host).</summary>
    private static readonly Dictionary<string, string[]> s_allowed = new()
    {
        ["Host"] = ["Host.Standalone", "Host.Serve", "Host.Engine"],
        ["Host.Standalone"] = ["Host.Engine"],
        ["Host.Serve"] = ["Host.Engine"],
        ["Host.Engine"] = [],
    };

    private static readonly Lazy<Assembly> s_host = new(() => Assembly.LoadFrom(InvokerProcess.FindInvokerDll()));

    private static readonly Lazy<(Type User, Type Used)[]> s_references = new(() => [.. TypeReferences.Of(s_host.Value)]);

    [Fact]
    public void HostFolders_UseOnlyTheFoldersAllowedBelowThem()
    {
        var violations = new SortedSet<string>(StringComparer.Ordinal);
        foreach ((Type user, Type used) in s_references.Value)
        {
            if (Folder(user) is { } from && Folder(used) is { } to && from != to
                && !(s_allowed.TryGetValue(from, out string[]? allowed) && allowed.Contains(to)))
            {
                violations.Add($"{from} -> {to} ({user.FullName} uses {used.FullName})");
            }
        }

        Assert.True(violations.Count == 0, "Host folder edges outside the picture:\n" + string.Join("\n", violations));
    }

    /// <summary>Every allowed edge is one the host has: the scan reads the host (an empty scan would pass anything), and the picture holds no stale edge.</summary>
    [Fact]
    public void AllowedHostEdges_AreAllUsed()
    {
        var seen = s_references.Value
            .Select(pair => (From: Folder(pair.User), To: Folder(pair.Used)))
            .Where(edge => edge.From is not null && edge.To is not null && edge.From != edge.To)
            .Select(edge => $"{edge.From} -> {edge.To}")
            .ToHashSet(StringComparer.Ordinal);
        string[] unused = [.. s_allowed.SelectMany(pair => pair.Value.Select(to => $"{pair.Key} -> {to}")).Where(edge => !seen.Contains(edge)).Order(StringComparer.Ordinal)];

        Assert.Empty(unused);
    }

    [Fact]
    public void EveryHostNamespace_IsAFolderOfThePicture()
    {
        string[] missing = [.. s_host.Value.GetTypes()
            .Select(Folder).OfType<string>().Distinct().Where(folder => !s_allowed.ContainsKey(folder)).Order(StringComparer.Ordinal)];

        Assert.Empty(missing);
    }

    [Fact]
    public void AllowedHostEdges_FormNoCycle()
    {
        FolderGraph.AssertNoCycle(s_allowed, folder => folder);
    }

    /// <summary>Folder = namespace: src/Host/X/Z.cs declares <c>namespace Perf.Invoker.Host.X</c>; Program.cs, top-level statements, declares none.</summary>
    [Fact]
    public void HostSourceFiles_DeclareTheNamespaceOfTheirFolder()
    {
        string host = Path.Combine(Repository.Root, "src", "Host");
        string[] mismatched = [.. Directory.EnumerateFiles(host, "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && path != Path.Combine(host, "Program.cs"))
            .Where(path =>
            {
                string folder = Path.GetRelativePath(host, Path.GetDirectoryName(path)!).Replace(Path.DirectorySeparatorChar, '.');
                string expected = folder == "." ? "Perf.Invoker.Host" : "Perf.Invoker.Host." + folder;
                return NamespaceLine().Match(File.ReadAllText(path)).Groups[1].Value != expected;
            })
            .Select(path => Path.GetRelativePath(Repository.Root, path))
            .Order(StringComparer.Ordinal)];

        Assert.Empty(mismatched);
    }

    /// <summary>The folder of a host type (its namespace less <c>Perf.Invoker.</c>); null for Core, framework, package and compiler types.</summary>
    private static string? Folder(Type type) =>
        type.Namespace is { } ns && (ns == "Perf.Invoker.Host" || ns.StartsWith("Perf.Invoker.Host.", StringComparison.Ordinal)) ? ns["Perf.Invoker.".Length..] : null;

    [GeneratedRegex(@"^namespace\s+([\w.]+)\s*;", RegexOptions.Multiline)]
    private static partial Regex NamespaceLine();
}
