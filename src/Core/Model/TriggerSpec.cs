using Perf.Invoker.Json;

namespace Perf.Invoker.Model;

/// <summary>
/// A trigger as the REST API takes it (OpenWhisk's WhiskTriggerPut: parameters, limits, version, publish, annotations)
/// and as the store keeps it, with the rules that fire on it: OpenWhisk keeps each rule's action and status in its
/// trigger's document, so firing reads one document.
/// </summary>
[JsonModel]
public sealed partial class TriggerSpec
{
    public Parameter[]? Parameters { get; init; }

    /// <summary>OpenWhisk's TriggerLimits has no members; kept as given.</summary>
    public RawJson? Limits { get; init; }

    [JsonIntern]
    public string? Version { get; init; }

    public bool? Publish { get; init; }

    public Parameter[]? Annotations { get; init; }

    /// <summary>The rules on this trigger, by fully qualified rule name; never read from a request.</summary>
    public TriggerRules? Rules { get; init; }
}

/// <summary>What a trigger keeps of one rule (OpenWhisk's ReducedRule): the action to fire and whether the rule is active.</summary>
[JsonModel]
public sealed partial class ReducedRule
{
    public required FullyQualifiedEntityName Action { get; init; }

    /// <summary><see cref="RuleStatus.Active"/> or <see cref="RuleStatus.Inactive"/>.</summary>
    [JsonIntern]
    public required string Status { get; init; }
}

/// <summary>A rule's status words on the wire.</summary>
public static class RuleStatus
{
    public const string Active = "active";
    public const string Inactive = "inactive";
}

/// <summary>
/// A trigger's <c>rules</c> member: an object from the rule's fully qualified name (<c>guest/R</c>) to its
/// <see cref="ReducedRule"/>, in the order the rules were linked. Immutable: a change makes a new map.
/// </summary>
public sealed class TriggerRules : IJsonValue<TriggerRules>
{
    public TriggerRules(IReadOnlyList<KeyValuePair<string, ReducedRule>> links) => Links = links;

    public static TriggerRules Empty { get; } = new([]);

    public IReadOnlyList<KeyValuePair<string, ReducedRule>> Links { get; }

    public ReducedRule? Find(string rule)
    {
        foreach (KeyValuePair<string, ReducedRule> link in Links)
        {
            if (link.Key == rule)
            {
                return link.Value;
            }
        }

        return null;
    }

    /// <summary>This map with <paramref name="rule"/> linked to <paramref name="link"/> (replaced in place when it was linked).</summary>
    public TriggerRules With(string rule, ReducedRule link)
    {
        var links = new List<KeyValuePair<string, ReducedRule>>(Links.Count + 1);
        bool replaced = false;
        foreach (KeyValuePair<string, ReducedRule> existing in Links)
        {
            if (existing.Key == rule)
            {
                links.Add(new(rule, link));
                replaced = true;
            }
            else
            {
                links.Add(existing);
            }
        }

        if (!replaced)
        {
            links.Add(new(rule, link));
        }

        return new TriggerRules(links);
    }

    public TriggerRules Without(string rule) => new([.. Links.Where(link => link.Key != rule)]);

    public static TriggerRules ReadJson(ref JsonReader reader)
    {
        reader.ExpectStartObject();
        var links = new List<KeyValuePair<string, ReducedRule>>();
        while (reader.ReadPropertyName(out ReadOnlySpan<byte> name))
        {
            string rule = System.Text.Encoding.UTF8.GetString(name);
            reader.ReadValue();
            links.Add(new(rule, ReducedRule.ReadJson(ref reader)));
        }

        return new TriggerRules(links);
    }

    public void WriteJson(ref JsonWriter writer)
    {
        writer.WriteByte((byte)'{');
        for (int i = 0; i < Links.Count; i++)
        {
            if (i > 0)
            {
                writer.WriteByte((byte)',');
            }

            writer.WriteString(Links[i].Key);
            writer.WriteByte((byte)':');
            Links[i].Value.WriteJson(ref writer);
        }

        writer.WriteByte((byte)'}');
    }
}
