using Perf.Invoker.Model;
using Perf.Invoker.Pool;

namespace Perf.Invoker.Host.Engine;

/// <summary>
/// What action containers run (docs/cluster.md, "Starting the invoker the OpenWhisk way"): with a runtimes manifest,
/// each kind's image (Docker) and the stem cells the pool prewarms; <c>__OW_API_HOST</c>. Without one (<see cref="Local"/>)
/// every kind runs on this invoker's own Node.js runtime, with the built-in manifest's stem cells (<see cref="RuntimeManifest.Local"/>).
/// </summary>
/// <param name="Manifest">OpenWhisk's <c>RUNTIMES_MANIFEST</c>, or null for the local runtime.</param>
/// <param name="Registry">The registry of manifest images that name none (<c>whisk.container-factory.runtimes-registry.url</c>).</param>
/// <param name="ApiHost">Given to every action container as <c>__OW_API_HOST</c>.</param>
internal sealed record ActionRuntimes(RuntimeManifest? Manifest, string? Registry = null, string ApiHost = "")
{
    public static ActionRuntimes Local { get; } = new(Manifest: null);

    /// <summary>Each kind's image, before the backend's --docker-image.</summary>
    public IReadOnlyDictionary<string, string> Images => Manifest?.Images(Registry) ?? new Dictionary<string, string>();

    /// <summary>Every stem cell of the manifest (the built-in one without a manifest): its count of containers of its kind and memory, started ahead.</summary>
    public IReadOnlyList<PrewarmConfig> Prewarm => [.. (Manifest ?? RuntimeManifest.Local).StemCells.Select(cell => new PrewarmConfig(cell.Kind, cell.MemoryMegabytes, cell.Count))];
}
