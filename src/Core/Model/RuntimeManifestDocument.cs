using Perf.Invoker.Json;

namespace Perf.Invoker.Model;

/// <summary>
/// OpenWhisk's runtimes manifest as <c>RUNTIMES_MANIFEST</c> carries it (docs/cluster.md, "Starting the invoker the
/// OpenWhisk way"): <c>{"runtimes":{family:[kind…]},"blackboxes":[image…]}</c>; <c>description</c> is skipped.
/// <see cref="RuntimeManifest.TryParse"/> checks it and indexes it.
/// </summary>
[JsonModel]
public sealed partial class RuntimeManifestDocument
{
    public RuntimeFamilies? Runtimes { get; init; }

    public RuntimeImageName[]? Blackboxes { get; init; }
}

/// <summary>One kind of a family: <c>{"kind":"nodejs:20","image":{…},"default":true,"stemCells":[…]}</c>.</summary>
[JsonModel]
public sealed partial class RuntimeKind
{
    public required string Kind { get; init; }

    public required RuntimeImageName Image { get; init; }

    public bool? Deprecated { get; init; }

    public bool? Default { get; init; }

    public RuntimeAttachment? Attached { get; init; }

    public bool? RequireMain { get; init; }

    public bool? SentinelledLogs { get; init; }

    public RuntimeStemCell[]? StemCells { get; init; }
}

/// <summary><c>{"prefix":"openwhisk","name":"action-nodejs-v20","tag":"nightly"}</c>, with an optional registry.</summary>
[JsonModel]
public sealed partial class RuntimeImageName
{
    public string? Registry { get; init; }

    public string? Prefix { get; init; }

    public required string Name { get; init; }

    public string? Tag { get; init; }

    /// <summary>
    /// <c>registry/prefix/name:tag</c> as OpenWhisk's ImageName resolves it: the image's own registry, else
    /// <paramref name="defaultRegistry"/> (<c>whisk.container-factory.runtimes-registry.url</c>); tag <c>latest</c> when none.
    /// </summary>
    public string Resolve(string? defaultRegistry = null)
    {
        string? registry = string.IsNullOrEmpty(Registry) ? defaultRegistry : Registry;
        string registryPart = string.IsNullOrEmpty(registry) ? "" : registry.EndsWith('/') ? registry : registry + "/";
        string prefixPart = string.IsNullOrEmpty(Prefix) ? "" : Prefix + "/";
        return $"{registryPart}{prefixPart}{Name}:{(string.IsNullOrEmpty(Tag) ? "latest" : Tag)}";
    }
}

/// <summary><c>{"attachmentName":"codefile","attachmentType":"text/plain"}</c>: the code is a CouchDB attachment.</summary>
[JsonModel]
public sealed partial class RuntimeAttachment
{
    public string? AttachmentName { get; init; }

    public string? AttachmentType { get; init; }
}

/// <summary>A stem cell: <c>{"initialCount":2,"memory":"256 MB","reactive":{…}}</c> (<c>count</c> is the older name of initialCount).</summary>
[JsonModel]
public sealed partial class RuntimeStemCell
{
    public int? InitialCount { get; init; }

    public int? Count { get; init; }

    public ByteSize? Memory { get; init; }

    public ReactiveStemCells? Reactive { get; init; }
}

/// <summary>OpenWhisk's reactive prewarming: between minCount and maxCount stem cells, by cold starts, each living ttl.</summary>
[JsonModel]
public sealed partial class ReactiveStemCells
{
    public required int MinCount { get; init; }

    public required int MaxCount { get; init; }

    /// <summary>A Scala duration: <c>"2 minutes"</c>.</summary>
    public required string Ttl { get; init; }

    public required int Threshold { get; init; }

    public required int Increment { get; init; }
}

/// <summary>The <c>runtimes</c> object: family name to its kinds, in the order written.</summary>
public readonly struct RuntimeFamilies(KeyValuePair<string, RuntimeKind[]>[] families) : IJsonValue<RuntimeFamilies>
{
    public KeyValuePair<string, RuntimeKind[]>[] Families { get; } = families;

    public static RuntimeFamilies ReadJson(ref JsonReader reader)
    {
        reader.ExpectStartObject();
        var families = new ArrayBuilder<KeyValuePair<string, RuntimeKind[]>>();
        while (reader.ReadPropertyName(out ReadOnlySpan<byte> name))
        {
            string family = System.Text.Encoding.UTF8.GetString(name);
            reader.Member = family;
            reader.ReadValue();
            reader.ExpectStartArray();
            var kinds = new ArrayBuilder<RuntimeKind>();
            while (reader.ReadArrayElement())
            {
                kinds.Add(RuntimeKind.ReadJson(ref reader));
            }

            families.Add(new(family, kinds.ToArray()));
        }

        return new RuntimeFamilies(families.ToArray());
    }

    public void WriteJson(ref JsonWriter writer)
    {
        writer.WriteByte((byte)'{');
        KeyValuePair<string, RuntimeKind[]>[] families = Families ?? [];
        for (int i = 0; i < families.Length; i++)
        {
            if (i > 0)
            {
                writer.WriteByte((byte)',');
            }

            writer.WriteString(families[i].Key);
            writer.WriteByte((byte)':');
            writer.WriteByte((byte)'[');
            for (int k = 0; k < families[i].Value.Length; k++)
            {
                if (k > 0)
                {
                    writer.WriteByte((byte)',');
                }

                families[i].Value[k].WriteJson(ref writer);
            }

            writer.WriteByte((byte)']');
        }

        writer.WriteByte((byte)'}');
    }
}
