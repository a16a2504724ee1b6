using Perf.Invoker.Json;
using Perf.Invoker.Model;

namespace Perf.Invoker.CouchDb;

/// <summary>
/// An action document of OpenWhisk's entity database as the invoker reads it (docs/cluster.md, "Actions from the entity
/// database"); members it does not use (<c>updated</c>, <c>publish</c>) are skipped.
/// </summary>
[JsonModel]
internal sealed partial class ActionDocument
{
    [JsonMember("_rev")]
    public string? Rev { get; init; }

    /// <summary>"action" for an action; another entity stored under the same id is not one.</summary>
    [JsonIntern]
    public string? EntityType { get; init; }

    /// <summary><c>guest</c>, or <c>guest/mypkg</c> for an action in a package.</summary>
    [JsonIntern]
    public string? Namespace { get; init; }

    [JsonIntern]
    public string? Name { get; init; }

    public ActionDocumentExec? Exec { get; init; }

    public ActionLimits? Limits { get; init; }

    public Parameter[]? Parameters { get; init; }

    public Parameter[]? Annotations { get; init; }

    [JsonIntern]
    public string? Version { get; init; }

    /// <summary>CouchDB's attachment stubs, keyed by attachment name: where forms c and d keep the code.</summary>
    [JsonMember("_attachments")]
    public RawJson? Attachments { get; init; }
}

/// <summary>The stored <c>exec</c>: its <c>code</c> is a string or an attachment reference, so it is kept raw.</summary>
[JsonModel]
internal sealed partial class ActionDocumentExec
{
    public string? Kind { get; init; }

    public RawJson? Code { get; init; }

    /// <summary>Where Java actions once kept their attachment, instead of <c>code</c>.</summary>
    public RawJson? Jar { get; init; }

    public string? Main { get; init; }

    public bool? Binary { get; init; }

    public string? Image { get; init; }
}

/// <summary>
/// <c>exec.code</c> when it is not a string: <c>{"attachmentName":"mem:…"|"couch:&lt;uuid&gt;"|"codefile",
/// "attachmentType":…,"length"?,"digest"?}</c>.
/// </summary>
[JsonModel]
internal sealed partial class AttachedCode
{
    public required string AttachmentName { get; init; }
}

/// <summary>A view's answer, <c>{"total_rows":…,"offset":…,"rows":[{"id":…,"key":…,"value":…}]}</c>; only the keys matter here.</summary>
[JsonModel]
internal sealed partial class ViewResult
{
    public required ViewRow[] Rows { get; init; }
}

[JsonModel]
internal sealed partial class ViewRow
{
    public required string Key { get; init; }
}
