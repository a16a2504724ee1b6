using System.Globalization;
using Perf.Invoker.Json;

namespace Perf.Invoker.Model;

/// <summary>A stem cell of the manifest for one kind: <see cref="Count"/> containers of <see cref="MemoryMegabytes"/> started ahead.</summary>
/// <param name="Reactive">OpenWhisk's reactive prewarming settings, checked and kept; null when the manifest gives none.</param>
public sealed record StemCell(string Kind, int Count, int MemoryMegabytes, ReactiveStemCells? Reactive);

/// <summary>
/// The runtimes manifest, checked by OpenWhisk's rules and indexed (docs/cluster.md, "Starting the invoker the OpenWhisk
/// way"): which kinds exist, each family's default, each kind's image, the stem cells to prewarm and the blackbox images.
/// </summary>
public sealed class RuntimeManifest
{
    /// <summary>OpenWhisk's kind of docker actions: not in the manifest, always known.</summary>
    public const string Blackbox = "blackbox";

    /// <summary>Each kind, lowercase, to its entry.</summary>
    private readonly Dictionary<string, RuntimeKind> _kinds;

    /// <summary>Each family, lowercase, to its default kind.</summary>
    private readonly Dictionary<string, string> _defaults;

    private RuntimeManifest(Dictionary<string, RuntimeKind> kinds, Dictionary<string, string> defaults, IReadOnlyList<StemCell> stemCells, IReadOnlyList<string> blackboxes)
    {
        _kinds = kinds;
        _defaults = defaults;
        StemCells = stemCells;
        BlackboxImages = blackboxes;
    }

    /// <summary>
    /// The manifest of a start without <c>RUNTIMES_MANIFEST</c>: the nodejs family, every kind run by this invoker's own
    /// Node.js runtime (its image with Docker), and the stem cells of OpenWhisk's own runtimes.json: 2 × 256 MB of the
    /// default kind, nodejs:20, so that a new action of the default kind and memory skips the runtime's start (docs/pool.md).
    /// </summary>
    public static RuntimeManifest Local { get; } = Build(
        [new("nodejs", [.. new[] { "nodejs:14", "nodejs:16", "nodejs:18", "nodejs:20", "nodejs:22" }.Select(kind => new RuntimeKind
        {
            Kind = kind,
            Image = new RuntimeImageName { Name = "local" },
            Default = kind == "nodejs:20",
            StemCells = kind == "nodejs:20" ? [new RuntimeStemCell { InitialCount = 2, Memory = ByteSize.FromMegabytes(256) }] : null,
        })])],
        [],
        out _)!;

    /// <summary>Every kind of the manifest, in the order written.</summary>
    public IEnumerable<string> Kinds => _kinds.Keys;

    /// <summary>The stem cells of every kind, for the pool's prewarm.</summary>
    public IReadOnlyList<StemCell> StemCells { get; }

    /// <summary>The <c>blackboxes</c> images, resolved (OpenWhisk never pulls them).</summary>
    public IReadOnlyList<string> BlackboxImages { get; }

    /// <summary>Parses and checks <c>RUNTIMES_MANIFEST</c>; null with <paramref name="error"/> (one sentence) when it is malformed or breaks a rule.</summary>
    public static RuntimeManifest? TryParse(string json, out string? error)
    {
        RuntimeManifestDocument document;
        try
        {
            document = JsonModel.Read<RuntimeManifestDocument>(json);
        }
        catch (JsonReadException e)
        {
            error = $"not a runtimes manifest: {e.Message}";
            return null;
        }

        return Build(document.Runtimes?.Families ?? [], document.Blackboxes ?? [], out error);
    }

    /// <summary>
    /// The kind an action runs as: <paramref name="kind"/> trimmed and lowercased when the manifest has it (or it is
    /// <c>blackbox</c>), a family's default for <c>family:default</c>, else null.
    /// </summary>
    public string? ResolveKind(string kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        string normalized = kind.Trim().ToLowerInvariant();
        if (normalized == Blackbox || _kinds.ContainsKey(normalized))
        {
            return normalized;
        }

        return normalized.EndsWith(":default", StringComparison.Ordinal) && _defaults.TryGetValue(normalized[..^":default".Length], out string? defaultKind)
            ? defaultKind
            : null;
    }

    /// <summary>The image of every kind, <c>registry/prefix/name:tag</c>; <paramref name="registry"/> where a kind names none.</summary>
    public IReadOnlyDictionary<string, string> Images(string? registry = null) =>
        _kinds.ToDictionary(entry => entry.Key, entry => entry.Value.Image.Resolve(registry), StringComparer.Ordinal);

    private static RuntimeManifest? Build(KeyValuePair<string, RuntimeKind[]>[] families, RuntimeImageName[] blackboxes, out string? error)
    {
        var kinds = new Dictionary<string, RuntimeKind>(StringComparer.Ordinal);
        var defaults = new Dictionary<string, string>(StringComparer.Ordinal);
        var stemCells = new List<StemCell>();
        foreach ((string family, RuntimeKind[] entries) in families)
        {
            RuntimeKind[] marked = [.. entries.Where(entry => entry.Default == true)];
            // ExecManifest: a family of several kinds names exactly one default; a single kind is its family's default.
            if (entries.Length > 1 && marked.Length != 1)
            {
                error = $"the family {family} has {entries.Length} kinds and {marked.Length} marked default: true; it needs exactly one";
                return null;
            }

            foreach (RuntimeKind entry in entries)
            {
                string kind = entry.Kind.Trim().ToLowerInvariant();
                if (!kinds.TryAdd(kind, entry))
                {
                    error = $"the kind {kind} is listed twice";
                    return null;
                }

                foreach (RuntimeStemCell cell in entry.StemCells ?? [])
                {
                    if (CheckStemCell(kind, cell, out error) is not { } stemCell)
                    {
                        return null;
                    }

                    stemCells.Add(stemCell);
                }
            }

            if (entries.Length > 0)
            {
                defaults[family.Trim().ToLowerInvariant()] = (marked.Length == 1 ? marked[0] : entries[0]).Kind.Trim().ToLowerInvariant();
            }
        }

        error = null;
        return new RuntimeManifest(kinds, defaults, stemCells, [.. blackboxes.Select(image => image.Resolve())]);
    }

    private static StemCell? CheckStemCell(string kind, RuntimeStemCell cell, out string? error)
    {
        int? count = cell.InitialCount ?? cell.Count;
        error = count is null || cell.Memory is null ? $"a stem cell of {kind} needs both initialCount (or count) and memory"
            : count <= 0 ? $"a stem cell of {kind} has initialCount {count}; it must be above 0"
            : cell.Memory.Value.Bytes >> 20 is < 1 or > int.MaxValue ? $"a stem cell of {kind} has memory {cell.Memory}; it must be at least 1 MB"
            : cell.Reactive is { } reactive ? CheckReactive(kind, reactive)
            : null;
        return error is null ? new StemCell(kind, count!.Value, (int)(cell.Memory!.Value.Bytes >> 20), cell.Reactive) : null;
    }

    /// <summary>ExecManifest's rules for reactive prewarming.</summary>
    private static string? CheckReactive(string kind, ReactiveStemCells reactive) =>
        reactive.MinCount < 0 || reactive.MinCount > reactive.MaxCount || reactive.MaxCount <= 0
            ? $"the reactive stem cells of {kind} need 0 <= minCount <= maxCount and maxCount > 0, got minCount {reactive.MinCount}, maxCount {reactive.MaxCount}"
            : !IsPositiveDuration(reactive.Ttl) ? $"the reactive stem cells of {kind} need a ttl above 0, like \"2 minutes\", got '{reactive.Ttl}'"
            : reactive.Threshold <= 0 ? $"the reactive stem cells of {kind} need a threshold above 0, got {reactive.Threshold}"
            : reactive.Increment <= 0 || reactive.Increment > reactive.MaxCount ? $"the reactive stem cells of {kind} need 0 < increment <= maxCount, got increment {reactive.Increment}"
            : null;

    /// <summary>A Scala duration above zero: a number, then one of its units (<c>"2 minutes"</c>, <c>"30s"</c>).</summary>
    private static bool IsPositiveDuration(string text)
    {
        ReadOnlySpan<char> span = text.AsSpan().Trim();
        int digits = 0;
        while (digits < span.Length && (char.IsAsciiDigit(span[digits]) || span[digits] == '.'))
        {
            digits++;
        }

        return double.TryParse(span[..digits], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value) && value > 0
            && s_durationUnits.Contains(span[digits..].Trim().ToString());
    }

    private static readonly HashSet<string> s_durationUnits = new(StringComparer.Ordinal)
    {
        "d", "day", "days", "h", "hour", "hours", "min", "mins", "minute", "minutes", "s", "sec", "secs", "second", "seconds",
        "ms", "milli", "millis", "millisecond", "milliseconds", "us", "µs", "micro", "micros", "microsecond", "microseconds",
        "ns", "nano", "nanos", "nanosecond", "nanoseconds",
    };
}
