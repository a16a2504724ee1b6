namespace Perf.Invoker.Json;

/// <summary>
/// The one exception a JSON read throws for bad input: what was wrong, the member it concerns (when
/// there is one) and the byte offset in the input where it was found.
/// </summary>
public sealed class JsonReadException : Exception
{
    public JsonReadException(string message, string? member, long bytePosition, Exception? inner = null)
        : base(message, inner)
    {
        Member = member;
        BytePosition = bytePosition;
    }

    /// <summary>The JSON member the error concerns, or null for a syntax error outside any member.</summary>
    public string? Member { get; }

    /// <summary>Offset in the UTF-8 input of the token where the error was found.</summary>
    public long BytePosition { get; }
}
