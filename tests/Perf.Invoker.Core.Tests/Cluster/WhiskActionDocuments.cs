using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Perf.Invoker.Tests.CouchDb;

namespace Perf.Invoker.Tests.Cluster;

/// <summary>How an action's code is stored (docs/cluster.md, the four exec.code forms).</summary>
internal enum CodeForm
{
    /// <summary><c>exec.code</c> is the code itself: legacy inline code, and the controller's health action.</summary>
    PlainString,

    /// <summary><c>{"attachmentName":"mem:&lt;URL-safe base64&gt;",…}</c>: an API-created action under 16 KiB.</summary>
    Inline,

    /// <summary><c>{"attachmentName":"couch:&lt;uuid&gt;"}</c> and a CouchDB attachment named <c>&lt;uuid&gt;</c>: 16 KiB or more.</summary>
    CouchAttachment,

    /// <summary><c>{"attachmentName":"codefile"}</c> and an attachment with that literal name: older OpenWhisk releases.</summary>
    LegacyAttachment,
}

/// <summary>A parameter of an action: its value as JSON; <c>init</c> ones go to /init (the controller lists them in initArgs).</summary>
internal sealed record ActionParameter(string Key, string ValueJson, bool Init = false);

/// <summary>An action as the controller's API takes it.</summary>
/// <param name="Path">The namespace, or <c>namespace/package</c> for an action in a package.</param>
internal sealed record WhiskActionSpec(string Path, string Name, string Code, int Memory = 256, int Concurrency = 1, int Timeout = 60_000)
{
    public IReadOnlyList<ActionParameter> Parameters { get; init; } = [];

    /// <summary>False for the health action and for actions stored before attachments (exec.code a plain string).</summary>
    public bool Attached { get; init; } = true;

    /// <summary>Stores the code the way releases before <c>mem:</c>/<c>couch:</c> did: an attachment named <c>codefile</c>.</summary>
    public bool Legacy { get; init; }

    /// <summary><c>path/name</c>: the document id, and the action's name in the balancer's hash.</summary>
    public string Id => $"{Path}/{Name}";
}

/// <summary>An action written to the entity database: its spec, the form its code took, and the revision the controller sends.</summary>
internal sealed record StoredAction(WhiskActionSpec Spec, CodeForm Form, string Revision);

/// <summary>
/// Writes action documents as OpenWhisk's controller does (WhiskAction.put with CouchDbRestStore's AttachmentSupport;
/// docs/cluster.md): an attached exec under 16 KiB inline as <c>mem:</c>, at or above it as a <c>couch:&lt;uuid&gt;</c>
/// attachment put after the document; an exec that is a plain string (the health action) as it is.
/// </summary>
internal static class WhiskActionDocuments
{
    /// <summary>OpenWhisk's whisk.db.max-inline-size: 16 k.</summary>
    public const int MaxInlineSize = 16 * 1024;

    public const string CodeContentType = "text/plain; charset=UTF-8";

    /// <summary>The controller's own health test action (InvokerPool.healthAction): a plain-string exec, 128 MB, no annotations.</summary>
    public static WhiskActionSpec HealthAction(string controller) =>
        new("whisk.system", "invokerHealthTestAction" + controller, "function main(params) { return params; }", Memory: 128) { Attached = false };

    public static async Task<StoredAction> PutAsync(CouchDbFixture couch, string database, WhiskActionSpec action)
    {
        byte[] code = Encoding.UTF8.GetBytes(action.Code);
        CodeForm form = !action.Attached ? CodeForm.PlainString
            : action.Legacy ? CodeForm.LegacyAttachment
            : code.Length < MaxInlineSize ? CodeForm.Inline
            : CodeForm.CouchAttachment;
        string? attachment = form switch
        {
            CodeForm.CouchAttachment => Guid.NewGuid().ToString(),
            CodeForm.LegacyAttachment => "codefile",
            _ => null,
        };
        string path = $"/{database}/{Uri.EscapeDataString(action.Id)}";
        string created = await couch.SendAsync(HttpMethod.Put, path, Document(action, form, code, attachment), HttpStatusCode.Created);
        string revision = Revision(created);
        if (attachment is not null)
        {
            using var bytes = new ByteArrayContent(code);
            bytes.Headers.ContentType = MediaTypeHeaderValue.Parse(form == CodeForm.LegacyAttachment ? "text/plain" : CodeContentType);
            using HttpResponseMessage attached = await couch.Http.PutAsync($"{path}/{Uri.EscapeDataString(attachment)}?rev={revision}", bytes);
            string answer = await attached.Content.ReadAsStringAsync();
            Assert.True(attached.StatusCode == HttpStatusCode.Created, $"attachment of {action.Id}: {(int)attached.StatusCode} {answer}");
            revision = Revision(answer);
        }

        return new StoredAction(action, form, revision);
    }

    /// <summary>The document WhiskAction.serdes and toDocumentRecord give, before any attachment.</summary>
    public static string Document(WhiskActionSpec action, CodeForm form, byte[] code, string? attachment)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("_id", action.Id);
            json.WriteString("entityType", "action");
            json.WriteString("namespace", action.Path);
            json.WriteString("name", action.Name);
            json.WriteString("version", "0.0.1");
            json.WriteBoolean("publish", false);
            json.WriteNumber("updated", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            json.WriteStartObject("exec");
            json.WriteString("kind", "nodejs:20");
            switch (form)
            {
                case CodeForm.PlainString:
                    json.WriteString("code", action.Code);
                    break;
                case CodeForm.Inline:
                    json.WriteStartObject("code");
                    // Base64.getUrlEncoder: the URL-safe alphabet, with padding.
                    json.WriteString("attachmentName", "mem:" + Convert.ToBase64String(code).Replace('+', '-').Replace('/', '_'));
                    json.WriteString("attachmentType", CodeContentType);
                    json.WriteNumber("length", code.Length);
                    json.WriteString("digest", "sha256-" + Convert.ToHexStringLower(SHA256.HashData(code)));
                    json.WriteEndObject();
                    break;
                case CodeForm.CouchAttachment:
                    json.WriteStartObject("code");
                    json.WriteString("attachmentName", "couch:" + attachment);
                    json.WriteString("attachmentType", CodeContentType);
                    json.WriteEndObject();
                    break;
                case CodeForm.LegacyAttachment:
                    json.WriteStartObject("code");
                    json.WriteString("attachmentName", attachment);
                    json.WriteString("attachmentType", "text/plain");
                    json.WriteEndObject();
                    break;
            }

            json.WriteBoolean("binary", false);
            json.WriteEndObject();
            json.WriteStartArray("parameters");
            foreach (ActionParameter parameter in action.Parameters)
            {
                json.WriteStartObject();
                json.WriteString("key", parameter.Key);
                json.WritePropertyName("value");
                json.WriteRawValue(parameter.ValueJson);
                if (parameter.Init)
                {
                    json.WriteBoolean("init", true);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartObject("limits");
            json.WriteNumber("timeout", action.Timeout);
            json.WriteNumber("memory", action.Memory);
            json.WriteNumber("logs", 10);
            json.WriteNumber("concurrency", action.Concurrency);
            json.WriteEndObject();
            json.WriteStartArray("annotations");
            if (action.Attached)
            {
                // What the API adds on create (Actions.scala); the health action is put directly and has none.
                json.WriteStartObject();
                json.WriteString("key", "provide-api-key");
                json.WriteBoolean("value", false);
                json.WriteEndObject();
                json.WriteStartObject();
                json.WriteString("key", "exec");
                json.WriteString("value", "nodejs:20");
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string Revision(string answer)
    {
        using JsonDocument document = JsonDocument.Parse(answer);
        return document.RootElement.GetProperty("rev").GetString()!;
    }
}
