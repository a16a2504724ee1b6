using System.Globalization;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// The limits OpenWhisk's controller enforces per namespace (its <c>UserLimits</c>, checked in Entitlement.scala):
/// activations in flight, invocations per minute, trigger fires per minute. A deployment sets the defaults (its
/// <c>limits.actions.invokes.*</c>, <c>limits.triggers.fires.perMinute</c>: the settings of <c>invoker standalone</c>);
/// the file <c>DATA/limits</c> overrides them for a namespace, as OpenWhisk's per-namespace limits document does.
/// </summary>
internal sealed record NamespaceLimits(int ConcurrentInvocations, int InvocationsPerMinute, int FiresPerMinute)
{
    /// <summary>Beside <c>namespaces</c> in the data directory; a file of its own, so that the key file keeps its format.</summary>
    public const string FileName = "limits";

    /// <summary>OpenWhisk's defaults (its standalone.conf and ansible): 30 in flight, 60 invocations and 60 fires a minute.</summary>
    public static NamespaceLimits OpenWhisk { get; } = new(30, 60, 60);

    /// <summary>
    /// The overrides of <c>DATA/limits</c>, one namespace a line: <c>NAMESPACE concurrentInvocations=N invocationsPerMinute=N
    /// firesPerMinute=N</c>, any of them (OpenWhisk's names, as <c>wskadmin limits set</c> takes them), the others from
    /// <paramref name="defaults"/>. No file: none. Blank lines and lines starting with # are skipped.
    /// </summary>
    /// <exception cref="FormatException">A line names no namespace, an unknown limit, or a value that is not a whole number of at least 0.</exception>
    public static IReadOnlyDictionary<string, NamespaceLimits> ReadOverrides(string dataDirectory, NamespaceLimits defaults)
    {
        string path = Path.Combine(dataDirectory, FileName);
        var overrides = new Dictionary<string, NamespaceLimits>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return overrides;
        }

        int number = 0;
        foreach (string line in File.ReadLines(path))
        {
            number++;
            string trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith('#'))
            {
                continue;
            }

            string[] parts = trimmed.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (!ApiPaths.IsEntityName(parts[0]))
            {
                throw new FormatException($"{path}, line {number}: expected 'NAMESPACE LIMIT=N …', got '{trimmed}'");
            }

            NamespaceLimits limits = overrides.GetValueOrDefault(parts[0], defaults);
            foreach (string part in parts.AsSpan(1))
            {
                int equals = part.IndexOf('=', StringComparison.Ordinal);
                string name = equals < 0 ? part : part[..equals];
                if (equals < 0 || !int.TryParse(part.AsSpan(equals + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int value))
                {
                    throw new FormatException($"{path}, line {number}: '{part}' is not LIMIT=N with N a whole number of at least 0");
                }

                limits = name switch
                {
                    "concurrentInvocations" => limits with { ConcurrentInvocations = value },
                    "invocationsPerMinute" => limits with { InvocationsPerMinute = value },
                    "firesPerMinute" => limits with { FiresPerMinute = value },
                    _ => throw new FormatException($"{path}, line {number}: unknown limit '{name}' (concurrentInvocations, invocationsPerMinute, firesPerMinute)"),
                };
            }

            overrides[parts[0]] = limits;
        }

        return overrides;
    }
}
