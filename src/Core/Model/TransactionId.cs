using Perf.Invoker.Json;

namespace Perf.Invoker.Model;

/// <summary>
/// OpenWhisk's transaction id, on the wire as an array: <c>[id, startEpochMs]</c>, then
/// <c>extraLogging</c> (a boolean) and a parent transaction id when there are any (docs/openwhisk.md §2).
/// </summary>
public readonly struct TransactionId : IJsonValue<TransactionId>
{
    public required string Id { get; init; }

    /// <summary>When the transaction started, in epoch milliseconds: the controller's receive time.</summary>
    public required long StartMillis { get; init; }

    public bool ExtraLogging { get; init; }

    /// <summary>The parent transaction id, kept verbatim; empty when there is none.</summary>
    public RawJson Parent { get; init; }

    public static TransactionId ReadJson(ref JsonReader reader)
    {
        reader.ExpectStartArray();
        if (!reader.ReadArrayElement())
        {
            reader.ThrowInvalid("a transaction id is [id, start, extraLogging?, parent?], found an empty array.");
        }

        string id = reader.GetString();
        if (!reader.ReadArrayElement())
        {
            reader.ThrowInvalid("a transaction id needs its start time after its id.");
        }

        long start = reader.GetInt64();
        bool extraLogging = false;
        RawJson parent = default;
        if (reader.ReadArrayElement())
        {
            extraLogging = reader.GetBoolean();
            if (reader.ReadArrayElement())
            {
                parent = RawJson.ReadJson(ref reader);
                if (reader.ReadArrayElement())
                {
                    reader.ThrowInvalid("a transaction id has at most four elements.");
                }
            }
        }

        return new TransactionId { Id = id, StartMillis = start, ExtraLogging = extraLogging, Parent = parent };
    }

    public void WriteJson(ref JsonWriter writer)
    {
        writer.WriteByte((byte)'[');
        writer.WriteString(Id);
        writer.WriteByte((byte)',');
        writer.WriteInt64(StartMillis);
        if (ExtraLogging || !Parent.IsEmpty)
        {
            writer.WriteByte((byte)',');
            writer.WriteBoolean(ExtraLogging);
            if (!Parent.IsEmpty)
            {
                writer.WriteByte((byte)',');
                Parent.WriteJson(ref writer);
            }
        }

        writer.WriteByte((byte)']');
    }

    public override string ToString() => Id;
}
