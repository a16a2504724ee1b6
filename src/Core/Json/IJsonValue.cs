namespace Perf.Invoker.Json;

/// <summary>
/// A type that reads itself from and writes itself to JSON. The generator implements it for every
/// <see cref="JsonModelAttribute"/> type; hand-written value types (ids, raw JSON) implement it directly.
/// </summary>
public interface IJsonValue<TSelf> where TSelf : IJsonValue<TSelf>
{
    /// <summary>Reads a value; the reader is on its first token and is left on its last.</summary>
    static abstract TSelf ReadJson(ref JsonReader reader);

    /// <summary>Writes the value as one JSON value.</summary>
    void WriteJson(ref JsonWriter writer);
}
