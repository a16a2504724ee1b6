using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Perf.Invoker.Json;

/// <summary>
/// A forward-only reader over one complete UTF-8 JSON document, for generated and hand-written readers.
/// It wraps <see cref="Utf8JsonReader"/> (which does tokenizing and syntax checks) and keeps the
/// source memory so that raw members (<see cref="RawJson"/>) are slices of the input, never copies.
/// Every failure is a <see cref="JsonReadException"/> with a byte offset.
/// </summary>
public ref struct JsonReader
{
    /// <summary>docs/openwhisk.md §2 messages nest a few levels; 64 bounds the work a hostile document can cause.</summary>
    public const int DefaultMaxDepth = 64;

    private Utf8JsonReader _reader;

    /// <summary>The whole input; raw members are slices of it.</summary>
    private readonly ReadOnlyMemory<byte> _source;

    public JsonReader(ReadOnlyMemory<byte> utf8, int maxDepth = DefaultMaxDepth)
    {
        _source = utf8;
        _reader = new Utf8JsonReader(utf8.Span, new JsonReaderOptions { MaxDepth = maxDepth });
    }

    /// <summary>
    /// The JSON member whose value is being read, set by generated readers before each value so that
    /// errors from nested and hand-written readers can name it; null at the top level.
    /// </summary>
    public string? Member { readonly get; set; }

    public readonly JsonTokenType TokenType => _reader.TokenType;

    /// <summary>Offset of the current token in the input.</summary>
    public readonly long TokenStart => _reader.TokenStartIndex;

    /// <summary>Offset just past the current token (past its closing bracket once skipped).</summary>
    public readonly long BytesConsumed => _reader.BytesConsumed;

    public readonly ReadOnlyMemory<byte> Source => _source;

    /// <summary>Advances to the next token; false only at the end of the input.</summary>
    public bool Read() => _reader.Read();

    /// <summary>Advances to the next token, which must exist.</summary>
    public void ReadValue()
    {
        if (!_reader.Read())
        {
            ThrowEndOfInput();
        }
    }

    /// <summary>Checks that the current token opens an object.</summary>
    public readonly void ExpectStartObject()
    {
        if (_reader.TokenType != JsonTokenType.StartObject)
        {
            ThrowUnexpected("an object");
        }
    }

    /// <summary>Checks that the current token opens an array.</summary>
    public readonly void ExpectStartArray()
    {
        if (_reader.TokenType != JsonTokenType.StartArray)
        {
            ThrowUnexpected("an array");
        }
    }

    /// <summary>
    /// Inside an object: moves to the next property name and returns true with its unescaped UTF-8
    /// bytes, or returns false on the closing brace. The caller then reads the value with
    /// <see cref="ReadValue"/> or skips it with <see cref="SkipValue"/>.
    /// </summary>
    public bool ReadPropertyName(out ReadOnlySpan<byte> name)
    {
        ReadValue();
        if (_reader.TokenType == JsonTokenType.EndObject)
        {
            name = default;
            return false;
        }

        Debug.Assert(_reader.TokenType == JsonTokenType.PropertyName, "Utf8JsonReader only yields names or '}' here");
        name = _reader.ValueIsEscaped ? UnescapedName() : _reader.ValueSpan;
        return true;
    }

    // Escaped property names are legal but never produced by OpenWhisk; allocating for them is fine.
    private readonly byte[] UnescapedName()
    {
        byte[] buffer = new byte[_reader.ValueSpan.Length];
        int written;
        try
        {
            written = _reader.CopyString(buffer);
        }
        catch (InvalidOperationException e)
        {
            ThrowNotText(e);
            throw;
        }

        return buffer.AsSpan(0, written).ToArray();
    }

    /// <summary>An escaped string, decoded; out of line, as escapes are rare.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly string UnescapedString()
    {
        try
        {
            return _reader.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            ThrowNotText(e);
            throw;
        }
    }

    /// <summary>Inside an array: moves to the next element and returns true, or false on the closing bracket.</summary>
    public bool ReadArrayElement()
    {
        ReadValue();
        return _reader.TokenType != JsonTokenType.EndArray;
    }

    /// <summary>After a property name: skips its value, however deep.</summary>
    public void SkipValue()
    {
        ReadValue();
        SkipCurrent();
    }

    /// <summary>Skips the value the reader is on (a no-op for scalars), leaving it on the value's last token.</summary>
    public void SkipCurrent()
    {
        if (_reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
        {
            _reader.Skip();
        }
    }

    public readonly bool IsNull => _reader.TokenType == JsonTokenType.Null;

    public readonly string GetString()
    {
        if (_reader.TokenType != JsonTokenType.String)
        {
            ThrowUnexpected("a string");
        }

        return _reader.ValueIsEscaped ? UnescapedString() : Encoding.UTF8.GetString(_reader.ValueSpan);
    }

    /// <summary>Reads a string through the shared pool: recurring values are not allocated again.</summary>
    public readonly string GetInternedString()
    {
        if (_reader.TokenType != JsonTokenType.String)
        {
            ThrowUnexpected("a string");
        }

        return _reader.ValueIsEscaped ? UnescapedString() : JsonStringPool.Shared.GetOrAdd(_reader.ValueSpan);
    }

    /// <summary>The raw bytes of the current string token, unescaped only when the input escaped them.</summary>
    public readonly ReadOnlySpan<byte> GetUtf8String()
    {
        if (_reader.TokenType != JsonTokenType.String)
        {
            ThrowUnexpected("a string");
        }

        return _reader.ValueIsEscaped ? UnescapedName() : _reader.ValueSpan;
    }

    public readonly bool GetBoolean() => _reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => ThrowUnexpected<bool>("true or false"),
    };

    public readonly long GetInt64()
    {
        if (_reader.TokenType != JsonTokenType.Number)
        {
            ThrowUnexpected("a number");
        }

        if (!_reader.TryGetInt64(out long value))
        {
            ThrowOutOfRange("a 64-bit integer");
        }

        return value;
    }

    public readonly int GetInt32()
    {
        if (_reader.TokenType != JsonTokenType.Number)
        {
            ThrowUnexpected("a number");
        }

        if (!_reader.TryGetInt32(out int value))
        {
            ThrowOutOfRange("a 32-bit integer");
        }

        return value;
    }

    public readonly double GetDouble()
    {
        if (_reader.TokenType != JsonTokenType.Number)
        {
            ThrowUnexpected("a number");
        }

        if (!_reader.TryGetDouble(out double value) || !double.IsFinite(value))
        {
            ThrowOutOfRange("a finite double");
        }

        return value;
    }

    // Cold paths: kept out of line so the hot readers stay small (the ThrowHelper pattern: the JIT does not inline methods that throw).

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public readonly void ThrowUnexpected(string expected) =>
        ThrowInvalid($"expected {expected}, found {Describe(_reader.TokenType)}.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public readonly T ThrowUnexpected<T>(string expected)
    {
        ThrowUnexpected(expected);
        return default;
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public readonly void ThrowOutOfRange(string expected) =>
        ThrowInvalid($"the number {Encoding.UTF8.GetString(_reader.ValueSpan)} does not fit {expected}.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public readonly void ThrowInvalid(string reason) =>
        throw new JsonReadException(
            Member is null ? $"At byte {TokenStart}: {reason}" : $"Member '{Member}' at byte {TokenStart}: {reason}",
            Member,
            TokenStart);

    /// <summary>
    /// An escape that is not text (a lone surrogate such as <c>\ud800</c>): valid JSON syntax, but no string, so a read
    /// error like any other bad input (docs/json.md), wherever a reader decodes one, not only inside JsonModel.Read.
    /// </summary>
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void ThrowNotText(InvalidOperationException e) =>
        throw new JsonReadException(
            Member is null ? $"Invalid string at byte {TokenStart}: {e.Message}" : $"Invalid string in member '{Member}' at byte {TokenStart}: {e.Message}",
            Member,
            TokenStart,
            e);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public readonly void ThrowDuplicateMember(string member) =>
        throw new JsonReadException($"Member '{member}' appears twice; the second is at byte {TokenStart}.", member, TokenStart);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowMissingMember(string member, long objectStart) =>
        throw new JsonReadException(
            $"Required member '{member}' is missing from the object at byte {objectStart}.", member, objectStart);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void ThrowEndOfInput() =>
        throw new JsonReadException($"Unexpected end of JSON at byte {_reader.BytesConsumed}.", null, _reader.BytesConsumed);

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.EndObject => "'}'",
        JsonTokenType.EndArray => "']'",
        _ => token.ToString(),
    };
}
