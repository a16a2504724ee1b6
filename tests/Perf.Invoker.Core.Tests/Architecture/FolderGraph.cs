namespace Perf.Invoker.Tests.Architecture;

/// <summary>The checks a folder picture (folder to the folders it may use) must pass, shared by Core's and the host's.</summary>
internal static class FolderGraph
{
    /// <summary>No cycle among the allowed edges, folders mapped by <paramref name="node"/> first (an edge within one node is dropped).</summary>
    public static void AssertNoCycle(Dictionary<string, string[]> allowed, Func<string, string> node)
    {
        var edges = allowed
            .SelectMany(pair => pair.Value.Select(to => (From: node(pair.Key), To: node(to))))
            .Where(edge => edge.From != edge.To)
            .ToLookup(edge => edge.From, edge => edge.To);
        var done = new HashSet<string>(StringComparer.Ordinal);
        var onPath = new List<string>();

        foreach (string start in allowed.Keys.Select(node).Distinct())
        {
            Visit(start);
        }

        void Visit(string folder)
        {
            int seen = onPath.IndexOf(folder);
            Assert.True(seen < 0, "Folder cycle: " + string.Join(" -> ", onPath.Skip(seen).Append(folder)));
            if (!done.Add(folder))
            {
                return;
            }

            onPath.Add(folder);
            foreach (string next in edges[folder])
            {
                Visit(next);
            }

            onPath.RemoveAt(onPath.Count - 1);
        }
    }
}
