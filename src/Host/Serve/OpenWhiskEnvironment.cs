using System.Collections;
using System.Text.RegularExpressions;

namespace Perf.Invoker.Host.Serve;

/// <summary>
/// The environment OpenWhisk's deployments give the invoker's container (docs/cluster.md, "Starting the invoker the
/// OpenWhisk way"): plain variables (<c>KAFKA_HOSTS</c>, <c>PORT</c>, …) and every <c>CONFIG_*</c> variable as the
/// Typesafe key OpenWhisk's image makes of it (<see cref="ConfigKey"/>). Each key or variable read is marked, so that
/// <see cref="Unread"/> names, once, every one this invoker does not act on.
/// </summary>
internal sealed partial class OpenWhiskEnvironment
{
    private const string ConfigPrefix = "CONFIG_";

    /// <summary>Set by OpenWhisk's deployments, read by nothing here: named when set, never dropped silently.</summary>
    private static readonly string[] s_unusedVariables =
    [
        "JAVA_OPTS", "INVOKER_OPTS", "ZOOKEEPER_HOSTS", "TZ", "JMX_REMOTE", "OPENWHISK_CONFIG", "OPENWHISK_ENCODED_CONFIG",
        "METRICS_KAMON", "METRICS_KAMON_TAGS", "METRICS_LOG", "WHISK_LOGS_DIR", "INVOKER_CONTAINER_POLICY", "INVOKER_NAME",
        "DB_WHISK_ACTIONS", "DB_WHISK_ACTIVATIONS", "DB_WHISK_AUTHS", "LIMITS_ACTIONS_INVOKES_PERMINUTE",
        "LIMITS_ACTIONS_INVOKES_CONCURRENT", "LIMITS_TRIGGERS_FIRES_PERMINUTE", "LIMITS_ACTIONS_SEQUENCE_MAXLENGTH",
    ];

    private readonly IReadOnlyDictionary<string, string> _variables;

    /// <summary>Each Typesafe key to its value and the CONFIG_ variable it came from, the variables taken in name order.</summary>
    private readonly Dictionary<string, (string Value, string Variable)> _config = new(StringComparer.Ordinal);

    /// <summary>The keys and plain variables read so far.</summary>
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    private OpenWhiskEnvironment(IReadOnlyDictionary<string, string> variables)
    {
        _variables = variables;
        foreach ((string name, string raw) in variables.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            if (!name.StartsWith(ConfigPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            // transformEnvironment.sh: a value '$NAME' stands for NAME's value when that is not empty; empty values are dropped.
            string value = raw.StartsWith('$') && variables.TryGetValue(raw[1..], out string? referenced) && referenced.Length > 0 ? referenced : raw;
            if (value.Length > 0 && ConfigKey(name) is { Length: > 0 } key)
            {
                _config[key] = (value, name);
            }
        }
    }

    /// <summary>This process's environment.</summary>
    public static OpenWhiskEnvironment FromProcess()
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            variables[(string)entry.Key] = entry.Value as string ?? "";
        }

        return new OpenWhiskEnvironment(variables);
    }

    public static OpenWhiskEnvironment From(IReadOnlyDictionary<string, string> variables) => new(variables);

    /// <summary>
    /// OpenWhisk's rule (transformEnvironment.sh): strip <c>CONFIG_</c>, split on <c>_</c> (empty parts vanish), keep a
    /// part that starts uppercase, turn the others from camelCase to kebab-case, join with dots.
    /// <c>CONFIG_whisk_containerPool_userMemory</c> is <c>whisk.container-pool.user-memory</c>.
    /// </summary>
    public static string ConfigKey(string variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        string name = variable.StartsWith(ConfigPrefix, StringComparison.Ordinal) ? variable[ConfigPrefix.Length..] : variable;
        IEnumerable<string> parts = name.Split('_', StringSplitOptions.RemoveEmptyEntries)
            .Select(part => char.IsAsciiLetterUpper(part[0]) ? part : CamelHump().Replace(part, m => $"{m.Groups[1].Value}-{char.ToLowerInvariant(m.Groups[2].Value[0])}"));
        return string.Join('.', parts);
    }

    /// <summary>A plain variable's value, null when unset or empty; marks it read.</summary>
    public string? Variable(string name)
    {
        _read.Add(name);
        return _variables.TryGetValue(name, out string? value) && value.Length > 0 ? value : null;
    }

    /// <summary>A Typesafe key's value, null when no CONFIG_ variable sets it; marks it read.</summary>
    public string? Config(string key)
    {
        _read.Add(key);
        return _config.TryGetValue(key, out var entry) ? entry.Value : null;
    }

    /// <summary>The CONFIG_ variable that set <paramref name="key"/>: what an error names.</summary>
    public string VariableOf(string key) => _config.TryGetValue(key, out var entry) ? entry.Variable : key;

    /// <summary>Every key set under <paramref name="prefix"/> (<c>whisk.couchdb.</c>), read or not.</summary>
    public IEnumerable<string> KeysUnder(string prefix) => _config.Keys.Where(key => key.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>
    /// The set variables no one read: OpenWhisk's that this invoker has no use for, and every CONFIG_ variable whose key
    /// was not read (with its key), in a stable order.
    /// </summary>
    public IReadOnlyList<string> Unread() =>
    [
        .. s_unusedVariables.Where(name => !_read.Contains(name) && _variables.TryGetValue(name, out string? value) && value.Length > 0),
        .. _config.Where(entry => !_read.Contains(entry.Key)).Select(entry => $"{entry.Value.Variable} ({entry.Key})"),
    ];

    [GeneratedRegex("([a-z0-9])([A-Z])")]
    private static partial Regex CamelHump();
}
