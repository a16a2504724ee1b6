using Perf.Invoker.Json;

namespace Perf.Invoker.Model;

/// <summary>
/// The <c>env</c> object of an /init body (docs/openwhisk.md §5): names to string values, written in the
/// order given. Init parameters and the <c>__OW_*</c> values of the first activation.
/// </summary>
public readonly struct EnvironmentVariables(KeyValuePair<string, string>[] variables) : IJsonValue<EnvironmentVariables>
{
    public KeyValuePair<string, string>[] Variables { get; } = variables;

    public static EnvironmentVariables ReadJson(ref JsonReader reader)
    {
        reader.ExpectStartObject();
        var variables = new ArrayBuilder<KeyValuePair<string, string>>();
        while (reader.ReadPropertyName(out ReadOnlySpan<byte> name))
        {
            string key = System.Text.Encoding.UTF8.GetString(name);
            reader.Member = key;
            reader.ReadValue();
            variables.Add(new(key, reader.GetString()));
        }

        return new EnvironmentVariables(variables.ToArray());
    }

    public void WriteJson(ref JsonWriter writer)
    {
        writer.WriteByte((byte)'{');
        KeyValuePair<string, string>[] variables = Variables ?? [];
        for (int i = 0; i < variables.Length; i++)
        {
            if (i > 0)
            {
                writer.WriteByte((byte)',');
            }

            writer.WriteString(variables[i].Key);
            writer.WriteByte((byte)':');
            writer.WriteString(variables[i].Value);
        }

        writer.WriteByte((byte)'}');
    }
}
