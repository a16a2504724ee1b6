using Perf.Invoker.Json;

namespace Perf.Invoker.CouchDb;

/// <summary>
/// One row of a <c>_bulk_docs</c> answer: <c>{"ok":true,"id":…,"rev":…}</c> or <c>{"id":…,"error":"conflict","reason":…}</c>.
/// CouchDB answers in the order of the documents sent, pouchdb-server not always, so a row is matched by its id. The
/// revision is not needed, so it is skipped.
/// </summary>
[JsonModel]
internal sealed partial class BulkDocsRow
{
    /// <summary>The document's <c>_id</c>.</summary>
    public string? Id { get; init; }

    public bool? Ok { get; init; }

    /// <summary><c>conflict</c> (the id exists), <c>forbidden</c>, <c>unauthorized</c>, <c>too_large</c>, …</summary>
    [JsonIntern]
    public string? Error { get; init; }

    public string? Reason { get; init; }

    public bool IsConflict => Error == "conflict";

    /// <summary>CouchDB refuses the document for its size: retrying cannot store it.</summary>
    public bool IsTooLarge => Error == "too_large";
}

/// <summary>A <c>_bulk_docs</c> answer: a JSON array of <see cref="BulkDocsRow"/>.</summary>
internal readonly struct BulkDocsAnswer : IJsonValue<BulkDocsAnswer>
{
    private BulkDocsAnswer(BulkDocsRow[] rows) => Rows = rows;

    public BulkDocsRow[] Rows { get; }

    public static BulkDocsAnswer ReadJson(ref JsonReader reader)
    {
        reader.ExpectStartArray();
        var rows = new ArrayBuilder<BulkDocsRow>();
        while (reader.ReadArrayElement())
        {
            rows.Add(BulkDocsRow.ReadJson(ref reader));
        }

        return new BulkDocsAnswer(rows.ToArray());
    }

    public void WriteJson(ref JsonWriter writer)
    {
        writer.WriteByte((byte)'[');
        for (int i = 0; i < Rows.Length; i++)
        {
            if (i > 0)
            {
                writer.WriteByte((byte)',');
            }

            Rows[i].WriteJson(ref writer);
        }

        writer.WriteByte((byte)']');
    }
}
