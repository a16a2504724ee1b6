namespace Perf.Invoker.Host.Standalone;

/// <summary>One namespace and its API key, <c>uuid:key</c> as OpenWhisk's basic auth carries it.</summary>
internal sealed record NamespaceKey(string Namespace, string Uuid, string Key)
{
    /// <summary>Formed once: every activation message carries it.</summary>
    public string ApiKey { get; } = $"{Uuid}:{Key}";
}
