using System.Globalization;

namespace Perf.Invoker.Host.Engine;

/// <summary>One setting of the command line: its flag (<c>--name</c>) and the INVOKER_* environment variable read when the flag is absent.</summary>
/// <param name="Name">The flag without its dashes.</param>
/// <param name="Variable">The environment variable, or null for a flag that has none (a repeatable one).</param>
/// <param name="IsSwitch">A flag that takes no value (its variable holds true or false).</param>
/// <param name="IsRepeatable">A flag given any number of times, each value kept.</param>
internal sealed record Setting(string Name, string? Variable, bool IsSwitch = false, bool IsRepeatable = false)
{
    public string Flag => "--" + Name;
}

/// <summary>
/// Reads a command line against the table of the settings a mode knows: flags first, then their INVOKER_* environment
/// variables, then a <see cref="Fallback"/> (another deployment's variable), then the caller's default. An unknown flag, a missing value, a number that does not parse or fit its
/// type, or one outside its range is a <see cref="StartupException"/> naming the flag (or variable) and the value.
/// </summary>
internal sealed class SettingsReader
{
    private readonly Dictionary<string, string> _values = [];
    private readonly Dictionary<string, List<string>> _repeated = [];

    /// <summary>Values for when neither the flag nor its variable is given, with the variable they came from.</summary>
    private readonly Dictionary<string, (string Value, string Source)> _fallbacks = [];

    private SettingsReader()
    {
    }

    public static SettingsReader Parse(IReadOnlyList<string> args, IReadOnlyList<Setting> known)
    {
        var reader = new SettingsReader();
        for (int i = 0; i < args.Count; i++)
        {
            string argument = args[i];
            if (!argument.StartsWith("--", StringComparison.Ordinal))
            {
                throw new StartupException($"unexpected argument '{argument}'");
            }

            Setting setting = known.FirstOrDefault(s => s.Flag == argument) ?? throw new StartupException($"unknown setting '{argument}'");
            if (setting.IsSwitch)
            {
                reader._values[setting.Name] = "true";
                continue;
            }

            if (i + 1 >= args.Count)
            {
                throw new StartupException($"{argument} needs a value");
            }

            string value = args[++i];
            if (setting.IsRepeatable)
            {
                (reader._repeated.TryGetValue(setting.Name, out List<string>? values) ? values : reader._repeated[setting.Name] = []).Add(value);
            }
            else
            {
                reader._values[setting.Name] = value;
            }
        }

        return reader;
    }

    /// <summary>
    /// A value for <paramref name="setting"/> when neither its flag nor its variable is given, read from
    /// <paramref name="source"/> (named in errors): OpenWhisk's variables (<c>KAFKA_HOSTS</c>, <c>CONFIG_…</c>).
    /// </summary>
    public void Fallback(Setting setting, string value, string source) => _fallbacks[setting.Name] = (value, source);

    /// <summary>Whether the flag was given on the command line.</summary>
    public bool Given(Setting setting) => _values.ContainsKey(setting.Name) || _repeated.ContainsKey(setting.Name);

    /// <summary>The flag's value, else its variable's, else the fallback's, else null.</summary>
    public string? Text(Setting setting) =>
        _values.TryGetValue(setting.Name, out string? value) ? value
        : VariableValue(setting) is { } variable ? variable
        : _fallbacks.TryGetValue(setting.Name, out var fallback) ? fallback.Value
        : null;

    public string Text(Setting setting, string defaultValue) => Text(setting) ?? defaultValue;

    /// <summary>Every value of a repeatable flag, in order.</summary>
    public IReadOnlyList<string> All(Setting setting) => _repeated.TryGetValue(setting.Name, out List<string>? values) ? values : [];

    /// <summary>A path made absolute against the working directory at start, so that nothing depends on it later.</summary>
    public string FullPath(Setting setting, string defaultValue) => Path.GetFullPath(Text(setting, defaultValue));

    /// <param name="why">Says what the minimum stands for, in the message of a value below it.</param>
    public long Number(Setting setting, long defaultValue, long min, long max, string? why = null)
    {
        if (Text(setting) is not { } text)
        {
            return defaultValue;
        }

        // Overflow is a parse failure here (long.TryParse), never a wrapped-around value.
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value) || value > max)
        {
            throw new StartupException($"a setting is not a number in its range: {Source(setting)} must be a whole number from {min} to {max}, got '{text}'");
        }

        return value >= min ? value : throw new StartupException($"{Source(setting)} must be at least {min}{(why is null ? "" : $" ({why})")}, got {value}");
    }

    public int Number(Setting setting, int defaultValue, int min, int max = int.MaxValue, string? why = null) =>
        (int)Number(setting, (long)defaultValue, min, max, why);

    /// <summary>A finite number of at least <paramref name="min"/>.</summary>
    public double Fraction(Setting setting, double defaultValue, double min)
    {
        if (Text(setting) is not { } text)
        {
            return defaultValue;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
        {
            throw new StartupException($"a setting is not a number: {Source(setting)} must be a finite number of at least {min.ToString(CultureInfo.InvariantCulture)}, got '{text}'");
        }

        // NaN fails every comparison, and an overflowing literal parses as infinity.
        return double.IsFinite(value) && value >= min
            ? value
            : throw new StartupException($"{Source(setting)} must be a finite number of at least {min.ToString(CultureInfo.InvariantCulture)}, got {text}");
    }

    /// <summary>A switch: on when its flag is given; else its variable, true or false (any case); else off.</summary>
    public bool Switch(Setting setting)
    {
        string? text = Text(setting);
        return text is null ? false
            : bool.TryParse(text, out bool value) ? value
            : throw new StartupException($"{Source(setting)} must be true or false, got '{text}'");
    }

    /// <summary>One of <paramref name="choices"/>, the first being the default.</summary>
    public string Choice(Setting setting, params string[] choices)
    {
        string value = Text(setting, choices[0]);
        return choices.Contains(value) ? value : throw new StartupException($"{Source(setting)} must be {string.Join(" or ", choices)}, got '{value}'");
    }

    /// <summary>The flag when it was given, else the variable the value came from: what the operator has to correct.</summary>
    public string Source(Setting setting) =>
        _values.ContainsKey(setting.Name) ? setting.Flag
        : VariableValue(setting) is null && _fallbacks.TryGetValue(setting.Name, out var fallback) ? fallback.Source
        : setting.Variable ?? setting.Flag;

    private static string? VariableValue(Setting setting) => setting.Variable is { } variable ? Environment.GetEnvironmentVariable(variable) : null;
}
