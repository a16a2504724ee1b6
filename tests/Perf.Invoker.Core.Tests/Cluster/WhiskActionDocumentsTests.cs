using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Perf.Invoker.CouchDb;
using Perf.Invoker.Tests.CouchDb;

namespace Perf.Invoker.Tests.Cluster;

/// <summary>
/// The stand-in writes actions as WhiskAction.put does: each of the four exec.code forms (docs/cluster.md), read back
/// from pouchdb-server with the invoker's CouchDbClient and decoded the way OpenWhisk's reader decodes it.
/// </summary>
[Trait("Category", "Process")]
public sealed class WhiskActionDocumentsTests(CouchDbFixture couch) : IClassFixture<CouchDbFixture>
{
    private const string Code = "function main(params) { return {hello: params.name}; }";

    [Fact]
    public async Task TheHealthAction_IsAPlainStringExec_Of128MegabytesWithoutAnnotations()
    {
        (StoredAction stored, JsonElement document, _) = await PutAndReadAsync(WhiskActionDocuments.HealthAction("0"));

        Assert.Equal(CodeForm.PlainString, stored.Form);
        Assert.Equal("whisk.system/invokerHealthTestAction0", document.GetProperty("_id").GetString());
        Assert.Equal("whisk.system", document.GetProperty("namespace").GetString());
        Assert.Equal("function main(params) { return params; }", document.GetProperty("exec").GetProperty("code").GetString());
        Assert.Equal(128, document.GetProperty("limits").GetProperty("memory").GetInt32());
        Assert.Equal(0, document.GetProperty("annotations").GetArrayLength());
        Assert.StartsWith("1-", stored.Revision, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASmallAction_IsInlinedAsMem_UrlSafeBase64WithPaddingLengthAndSha256()
    {
        // 55 bytes: the base64 needs padding; '?>' and '~' give '+' and '/' in the standard alphabet.
        string code = Code + "//?>~";
        (StoredAction stored, JsonElement document, _) = await PutAndReadAsync(new WhiskActionSpec("guest", "small", code));

        JsonElement attached = document.GetProperty("exec").GetProperty("code");
        string name = attached.GetProperty("attachmentName").GetString()!;
        Assert.Equal(CodeForm.Inline, stored.Form);
        Assert.StartsWith("mem:", name, StringComparison.Ordinal);
        Assert.EndsWith("=", name, StringComparison.Ordinal);
        Assert.DoesNotContain('+', name);
        Assert.DoesNotContain('/', name);
        byte[] decoded = Convert.FromBase64String(name["mem:".Length..].Replace('-', '+').Replace('_', '/'));
        Assert.Equal(code, Encoding.UTF8.GetString(decoded));
        Assert.Equal(decoded.Length, attached.GetProperty("length").GetInt32());
        Assert.Equal("sha256-" + Convert.ToHexStringLower(SHA256.HashData(decoded)), attached.GetProperty("digest").GetString());
        Assert.False(document.TryGetProperty("_attachments", out _));
    }

    [Fact]
    public async Task AnActionOf16KiBOrMore_IsACouchAttachmentNamedByItsUuid_PutAfterTheDocument()
    {
        string code = Code + "\n//" + new string('x', WhiskActionDocuments.MaxInlineSize);
        (StoredAction stored, JsonElement document, WhiskDatabases databases) = await PutAndReadAsync(new WhiskActionSpec("guest", "large", code));

        string name = document.GetProperty("exec").GetProperty("code").GetProperty("attachmentName").GetString()!;
        Assert.Equal(CodeForm.CouchAttachment, stored.Form);
        Assert.StartsWith("couch:", name, StringComparison.Ordinal);
        string uuid = name["couch:".Length..];
        Assert.True(Guid.TryParse(uuid, out _));
        Assert.Equal([uuid], document.GetProperty("_attachments").EnumerateObject().Select(a => a.Name));
        Assert.StartsWith("2-", stored.Revision, StringComparison.Ordinal);
        Assert.Equal(code, await ReadAttachmentAsync(databases, stored, uuid));
    }

    [Fact]
    public async Task ALegacyAction_KeepsItsCodeInAnAttachmentNamedCodefile()
    {
        (StoredAction stored, JsonElement document, WhiskDatabases databases) = await PutAndReadAsync(new WhiskActionSpec("guest", "legacy", Code) { Legacy = true });

        Assert.Equal(CodeForm.LegacyAttachment, stored.Form);
        Assert.Equal("codefile", document.GetProperty("exec").GetProperty("code").GetProperty("attachmentName").GetString());
        Assert.Equal(["codefile"], document.GetProperty("_attachments").EnumerateObject().Select(a => a.Name));
        Assert.Equal(Code, await ReadAttachmentAsync(databases, stored, "codefile"));
    }

    [Fact]
    public async Task APackagedAction_HasItsPackageInItsIdAndNamespace_AndKeepsInitParameters()
    {
        var spec = new WhiskActionSpec("guest/pkg", "packaged", Code)
        {
            Parameters = [new ActionParameter("name", "\"world\""), new ActionParameter("secret", "\"s3cr3t\"", Init: true)],
        };

        (_, JsonElement document, _) = await PutAndReadAsync(spec);

        Assert.Equal("guest/pkg/packaged", document.GetProperty("_id").GetString());
        Assert.Equal("guest/pkg", document.GetProperty("namespace").GetString());
        Assert.Equal("packaged", document.GetProperty("name").GetString());
        Assert.Equal("""[{"key":"name","value":"world"},{"key":"secret","value":"s3cr3t","init":true}]""", document.GetProperty("parameters").GetRawText());
        Assert.Equal("""{"key":"provide-api-key","value":false}""", document.GetProperty("annotations")[0].GetRawText());
    }

    private async Task<(StoredAction Stored, JsonElement Document, WhiskDatabases Databases)> PutAndReadAsync(WhiskActionSpec spec)
    {
        WhiskDatabases databases = await couch.CreateDatabasesAsync();
        StoredAction stored = await WhiskActionDocuments.PutAsync(couch, databases.Entities, spec);
        using var client = new CouchDbClient(couch.Options(databases));
        CouchDbResponse read = await client.GetDocumentAsync(databases.Entities, spec.Id, stored.Revision, CancellationToken.None);
        Assert.Equal(200, read.StatusCode);
        using JsonDocument document = JsonDocument.Parse(read.Body);
        Assert.Equal(stored.Revision, document.RootElement.GetProperty("_rev").GetString());
        Assert.Equal("action", document.RootElement.GetProperty("entityType").GetString());
        return (stored, document.RootElement.Clone(), databases);
    }

    private async Task<string> ReadAttachmentAsync(WhiskDatabases databases, StoredAction stored, string name)
    {
        using var client = new CouchDbClient(couch.Options(databases));
        CouchDbResponse read = await client.GetAttachmentAsync(databases.Entities, stored.Spec.Id, name, stored.Revision, CancellationToken.None);
        Assert.Equal(200, read.StatusCode);
        return Encoding.UTF8.GetString(read.Body);
    }
}
