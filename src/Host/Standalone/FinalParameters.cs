using System.Text.Json;
using Perf.Invoker.Model;

namespace Perf.Invoker.Host.Standalone;

/// <summary>
/// OpenWhisk's final parameters (WhiskActionLike.immutableParameters): an action annotated <c>final: true</c> keeps the
/// values its parameters (merged with its package's and binding's) define; an invoke that sends one of them is refused
/// with 400 "Request defines parameters that are not allowed (e.g., reserved properties).".
/// </summary>
internal static class FinalParameters
{
    /// <summary>True when <paramref name="body"/> names a parameter the action holds final.</summary>
    public static bool AreOverridden(ActionSpec action, Parameter[] parameters, ReadOnlySpan<byte> body)
    {
        if (!IsFinal(action) || parameters.Length == 0)
        {
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = InvocationContent.MaxDepth });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string name = reader.GetString()!;
                if (Array.Exists(parameters, p => p.Key == name && !p.Value.Utf8.Span.SequenceEqual("null"u8)))
                {
                    return true;
                }

                reader.Read();
                reader.Skip();
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Malformed parameters are answered by the merge, with its reason.
        }

        return false;
    }

    private static bool IsFinal(ActionSpec action) =>
        Array.Exists(action.Annotations ?? [], a => a.Key == "final" && a.Value.Utf8.Span.SequenceEqual("true"u8));
}
