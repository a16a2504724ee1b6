namespace Perf.Invoker.Host.Standalone;

/// <summary>One namespace and its API key, <c>uuid:key</c> as OpenWhisk's basic auth carries it.</summary>
internal sealed record NamespaceKey(string Namespace, string Uuid, string Key)
{
    public string ApiKey => $"{Uuid}:{Key}";
}
