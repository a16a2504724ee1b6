using Perf.Invoker.Json;

namespace Perf.Invoker.Model;

/// <summary>This invoker's identity, carried in every ack and ping (docs/openwhisk.md §3).</summary>
[JsonModel]
public sealed partial class InvokerInstanceId
{
    public required int Instance { get; init; }

    public string? UniqueName { get; init; }

    public string? DisplayedName { get; init; }

    public required ByteSize UserMemory { get; init; }

    public string InstanceType { get; init; } = "invoker";

    public string[] Tags { get; init; } = [];

    public string[] DedicatedNamespaces { get; init; } = [];
}

/// <summary>The health ping sent on <c>health</c> every second: <c>{"name":&lt;InvokerInstanceId&gt;,"isEnabled":true}</c>.</summary>
[JsonModel]
public sealed partial class PingMessage
{
    [JsonMember("name")]
    public required InvokerInstanceId Instance { get; init; }

    public bool? IsEnabled { get; init; }
}
