using System.Buffers;
using System.Text.Json;

namespace Perf.Invoker.Tests.Cluster;

/// <summary>Who invokes: OpenWhisk's Identity as it travels in an ActivationMessage.</summary>
internal sealed record WhiskIdentity(string Subject, string Namespace, string Uuid, string Key, bool AllRights = true)
{
    public static WhiskIdentity Guest { get; } = new("guest", "guest", "23bc46b1-71f6-4ed5-8c54-816aa4f8c502", "123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP");

    /// <summary>InvokerPool.healthActionIdentity: whisk.system with a uuid and key of its own, no rights, default limits.</summary>
    public static WhiskIdentity Health() => new("whisk.system", "whisk.system", Guid.NewGuid().ToString(), Guid.NewGuid().ToString("N"), AllRights: false);
}

/// <summary>A transaction id as OpenWhisk compares it (case-class equality): id and start; this stand-in sends neither extraLogging nor a parent.</summary>
internal readonly record struct WhiskTransactionId(string Id, long Start)
{
    /// <summary>Equal to what an ack carries only if the ack echoes it exactly: two elements, or a false extraLogging and nothing more.</summary>
    public bool IsEchoedBy(JsonElement transid)
    {
        if (transid.ValueKind != JsonValueKind.Array || transid.GetArrayLength() is < 2 or > 3)
        {
            return false;
        }

        return transid[0].ValueKind == JsonValueKind.String && transid[0].GetString() == Id
            && transid[1].ValueKind == JsonValueKind.Number && transid[1].TryGetInt64(out long start) && start == Start
            && (transid.GetArrayLength() == 2 || transid[2].ValueKind == JsonValueKind.False);
    }
}

/// <summary>One ack read from <c>completed&lt;C&gt;</c>, told apart by its members as the controller does (docs/openwhisk.md §3).</summary>
internal sealed record WhiskAck(string ActivationId, int? Invoker, bool IsSystemError, string? RecordJson, string Json)
{
    /// <summary>A completion or a combined message frees the controller's slot; a result message alone does not.</summary>
    public bool FreesSlot => Invoker is not null;

    /// <summary>The ack's transid, kept for the health check.</summary>
    public JsonElement Transid { get; init; }

    public static WhiskAck Parse(byte[] message)
    {
        using JsonDocument document = JsonDocument.Parse(message);
        JsonElement root = document.RootElement;
        int? invoker = root.TryGetProperty("instance", out JsonElement instance) ? instance.GetProperty("instance").GetInt32() : null;
        bool systemError = root.TryGetProperty("isSystemError", out JsonElement error) && error.ValueKind == JsonValueKind.True;
        string id;
        string? record = null;
        if (root.TryGetProperty("response", out JsonElement response))
        {
            // The record, or only its activation id when the ack was shrunk (non-blocking, or too large).
            if (response.ValueKind == JsonValueKind.String)
            {
                id = response.GetString()!;
            }
            else
            {
                id = response.GetProperty("activationId").GetString()!;
                record = response.GetRawText();
            }
        }
        else
        {
            id = root.GetProperty("activationId").GetString()!;
        }

        return new WhiskAck(id, invoker, systemError, record, root.GetRawText()) { Transid = root.GetProperty("transid").Clone() };
    }
}

/// <summary>A ping read from <c>health</c>: <c>{"name":&lt;InvokerInstanceId&gt;,"isEnabled":…}</c>, isEnabled true when absent.</summary>
internal sealed record WhiskPing(int Instance, int UserMemoryMegabytes, bool IsEnabled)
{
    public static WhiskPing Parse(byte[] message)
    {
        using JsonDocument document = JsonDocument.Parse(message);
        JsonElement root = document.RootElement;
        JsonElement name = root.GetProperty("name");
        // InvokerInstanceId reads these with no default: a ping without them does not parse in OpenWhisk either.
        _ = name.GetProperty("instanceType").GetString();
        _ = name.GetProperty("tags").EnumerateArray();
        _ = name.GetProperty("dedicatedNamespaces").EnumerateArray();
        bool enabled = !root.TryGetProperty("isEnabled", out JsonElement flag) || flag.ValueKind != JsonValueKind.False;
        return new WhiskPing(name.GetProperty("instance").GetInt32(), Megabytes(name.GetProperty("userMemory").GetString()!), enabled);
    }

    /// <summary>OpenWhisk's ByteSize as written: <c>"2048 MB"</c> (B, KB, MB or GB).</summary>
    public static int Megabytes(string size)
    {
        string[] parts = size.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long value = long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
        return (int)(parts[1].ToUpperInvariant() switch
        {
            "B" => value >> 20,
            "KB" => value >> 10,
            "MB" => value,
            "GB" => value << 10,
            _ => throw new FormatException("not a ByteSize: " + size),
        });
    }
}

/// <summary>ActivationMessage as OpenWhisk's controller writes it (Message.scala; docs/openwhisk.md §2), members in its order.</summary>
internal static class ActivationMessageJson
{
    /// <param name="revision">The document's <c>_rev</c>; null (written as <c>"revision":null</c>) for the health action.</param>
    /// <param name="content">The merged parameters as a JSON object; null for none (the health action has none).</param>
    public static byte[] Write(WhiskTransactionId transid, WhiskActionSpec action, string? revision, WhiskIdentity user, string activationId,
        string controller, bool blocking, string? content, IEnumerable<string> initArgs)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("transid");
            json.WriteStringValue(transid.Id);
            json.WriteNumberValue(transid.Start);
            json.WriteEndArray();
            json.WriteStartObject("action");
            json.WriteString("path", action.Path);
            json.WriteString("name", action.Name);
            json.WriteString("version", "0.0.1");
            json.WriteEndObject();
            if (revision is null)
            {
                json.WriteNull("revision");
            }
            else
            {
                json.WriteString("revision", revision);
            }

            json.WriteStartObject("user");
            json.WriteString("subject", user.Subject);
            json.WriteStartObject("namespace");
            json.WriteString("name", user.Namespace);
            json.WriteString("uuid", user.Uuid);
            json.WriteEndObject();
            json.WriteStartObject("authkey");
            json.WriteString("api_key", $"{user.Uuid}:{user.Key}");
            json.WriteEndObject();
            json.WriteStartArray("rights");
            if (user.AllRights)
            {
                foreach (string right in new[] { "READ", "PUT", "DELETE", "ACTIVATE" })
                {
                    json.WriteStringValue(right);
                }
            }

            json.WriteEndArray();
            json.WriteStartObject("limits");
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteString("activationId", activationId);
            json.WriteStartObject("rootControllerIndex");
            json.WriteString("asString", controller);
            json.WriteString("instanceType", "controller");
            json.WriteEndObject();
            json.WriteBoolean("blocking", blocking);
            if (content is not null)
            {
                json.WritePropertyName("content");
                json.WriteRawValue(content);
            }

            json.WriteStartArray("initArgs");
            foreach (string name in initArgs)
            {
                json.WriteStringValue(name);
            }

            json.WriteEndArray();
            json.WriteStartObject("lockedArgs");
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The action's parameters with the invocation's on top (PrimitiveActions: <c>action.parameters merge payload</c>),
    /// init ones included: the invoker moves those named in initArgs to /init.
    /// </summary>
    public static string MergeContent(WhiskActionSpec action, string? payload)
    {
        var merged = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (ActionParameter parameter in action.Parameters)
        {
            merged[parameter.Key] = parameter.ValueJson;
        }

        if (payload is not null)
        {
            using JsonDocument document = JsonDocument.Parse(payload);
            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                merged[property.Name] = property.Value.GetRawText();
            }
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach ((string key, string value) in merged)
            {
                json.WritePropertyName(key);
                json.WriteRawValue(value);
            }

            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
