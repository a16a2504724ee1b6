using System.Text.RegularExpressions;
using Perf.Invoker.Acknowledgements;
using Perf.Invoker.Json;
using Perf.Invoker.Model;

namespace Perf.Invoker.Tests.Architecture;

/// <summary>
/// Pins the folder picture of README.md's Layout table: a folder of src/Core is the namespace <c>Perf.Invoker.X</c>,
/// and a folder may use only the folders listed for it here, all of them below it. The activation's path reads top
/// down: the feed (Feed, Feed/Kafka, Feed/Embedded), the invocation that takes it through the pool (Pool) and the action
/// client (ActionProtocol over Http) to the runtime, and the ack (Acknowledgements); the metrics exposition (Exposition)
/// sits above everything it reads, the hot-path counters (Metrics) below the invocation that updates them.
/// </summary>
[Trait("Category", "Unit")]
public sealed partial class FolderDependencyTests
{
    /// <summary>The allowed edges, folder to the folders it may use; a folder not listed here fails <see cref="EveryCoreNamespace_IsAFolderOfThePicture"/>.</summary>
    private static readonly Dictionary<string, string[]> s_allowed = new()
    {
        ["Exposition"] = ["Feed", "Pool", "Metrics", "Model"],
        ["Feed.Kafka"] = ["Feed", "Kafka", "Json", "Model"],
        ["Feed.Embedded"] = ["Feed", "Store"],
        ["Feed"] = [],
        ["Invocation"] = ["Pool", "ActionProtocol", "Acknowledgements", "Store", "Metrics", "Json", "Model"],
        ["Pool"] = ["ActionProtocol", "Containers", "Logs", "Concurrency", "Json", "Model"],
        ["ActionProtocol"] = ["Http", "Json", "Model"],
        ["Http"] = ["Buffers"],
        ["Logs"] = ["Containers", "Model"],
        ["Containers"] = [],
        ["Acknowledgements"] = ["Kafka", "Buffers", "Json", "Model"],
        ["Store"] = ["Buffers", "Json", "Model"],
        // The built-in alarms feed of standalone mode: it keeps its alarms in the store and fires through the host.
        ["Alarms"] = ["Store", "Json", "Model"],
        ["CouchDb"] = ["Invocation", "Store", "Buffers", "Json", "Model"],
        ["Kafka"] = [],
        ["Metrics"] = ["Model"],
        ["Model"] = ["Json"],
        ["Concurrency"] = [],
        ["Buffers"] = [],
        ["Json"] = [],
    };

    [Fact]
    public void CoreFolders_UseOnlyTheFoldersAllowedBelowThem()
    {
        var violations = new SortedSet<string>(StringComparer.Ordinal);
        foreach ((Type user, Type used) in TypeReferences.Of(typeof(ActivationMessage).Assembly))
        {
            if (Folder(user) is { } from && Folder(used) is { } to && from != to
                && !(s_allowed.TryGetValue(from, out string[]? allowed) && allowed.Contains(to)))
            {
                violations.Add($"{from} -> {to} ({user.FullName} uses {used.FullName})");
            }
        }

        Assert.True(violations.Count == 0, "Folder edges outside the picture:\n" + string.Join("\n", violations));
    }

    /// <summary>The scan reads method bodies too: the ack sink names <see cref="JsonModel"/> only in a static call.</summary>
    [Fact]
    public void TypeReferences_SeeWhatOnlyAMethodBodyUses()
    {
        Assert.Contains((typeof(KafkaAckSink), typeof(JsonModel)), TypeReferences.Of(typeof(KafkaAckSink).Assembly));
    }

    [Fact]
    public void EveryCoreNamespace_IsAFolderOfThePicture()
    {
        string[] missing = [.. typeof(ActivationMessage).Assembly.GetTypes()
            .Select(Folder).OfType<string>().Distinct().Where(folder => !s_allowed.ContainsKey(folder)).Order(StringComparer.Ordinal)];

        Assert.Empty(missing);
    }

    /// <summary>No cycle among the folders, nor among the top folders (Feed/Kafka counted as Feed): the picture reads one way.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AllowedEdges_FormNoCycle(bool topFoldersOnly)
    {
        FolderGraph.AssertNoCycle(s_allowed, topFoldersOnly ? folder => folder.Split('.')[0] : folder => folder);
    }

    /// <summary>Folder = namespace: src/Core/X/Y/Z.cs declares <c>namespace Perf.Invoker.X.Y</c>.</summary>
    [Fact]
    public void CoreSourceFiles_DeclareTheNamespaceOfTheirFolder()
    {
        string core = Path.Combine(Repository.Root, "src", "Core");
        string[] mismatched = [.. Directory.EnumerateFiles(core, "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(path =>
            {
                string folder = Path.GetRelativePath(core, Path.GetDirectoryName(path)!).Replace(Path.DirectorySeparatorChar, '.');
                string expected = folder == "." ? "Perf.Invoker" : "Perf.Invoker." + folder;
                return NamespaceLine().Match(File.ReadAllText(path)).Groups[1].Value != expected;
            })
            .Select(path => Path.GetRelativePath(Repository.Root, path))
            .Order(StringComparer.Ordinal)];

        Assert.Empty(mismatched);
    }

    /// <summary>The folder of a Core type (its namespace less <c>Perf.Invoker.</c>); null for framework, package and compiler types.</summary>
    private static string? Folder(Type type) =>
        type.Namespace is { } ns && ns.StartsWith("Perf.Invoker.", StringComparison.Ordinal) ? ns["Perf.Invoker.".Length..] : null;

    [GeneratedRegex(@"^namespace\s+([\w.]+)\s*;", RegexOptions.Multiline)]
    private static partial Regex NamespaceLine();
}
