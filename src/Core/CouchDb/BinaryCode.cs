namespace Perf.Invoker.CouchDb;

/// <summary>How OpenWhisk tells and stores binary code (docs/cluster.md, "Actions from the entity database").</summary>
internal static class BinaryCode
{
    /// <summary>
    /// OpenWhisk's <c>isBinaryCode</c>: the code, trimmed as Java trims (characters up to U+0020), is non-empty, a
    /// multiple of 4 long and standard base64 with at most two '=' of padding at its end.
    /// </summary>
    public static bool IsBase64(string code)
    {
        ReadOnlySpan<char> text = JavaTrim(code);
        if (text.Length == 0 || text.Length % 4 != 0)
        {
            return false;
        }

        int padding = text.EndsWith("==", StringComparison.Ordinal) ? 2 : text[^1] == '=' ? 1 : 0;
        foreach (char c in text[..^padding])
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '+' || c == '/'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Java's <c>String.trim().isEmpty</c>.</summary>
    public static bool IsJavaBlank(string text) => JavaTrim(text).IsEmpty;

    /// <summary>The bytes of a <c>mem:</c> reference: URL-safe base64 with padding (Java's URL encoder); null when it is not.</summary>
    public static byte[]? DecodeUrlSafe(ReadOnlySpan<char> encoded)
    {
        if (encoded.Length % 4 != 0)
        {
            return null;
        }

        char[] standard = new char[encoded.Length];
        for (int i = 0; i < encoded.Length; i++)
        {
            standard[i] = encoded[i] switch
            {
                '-' => '+',
                '_' => '/',
                '+' or '/' => '\0',
                char c => c,
            };
        }

        byte[] bytes = new byte[encoded.Length / 4 * 3];
        return Convert.TryFromBase64Chars(standard, bytes, out int written) ? bytes[..written] : null;
    }

    private static ReadOnlySpan<char> JavaTrim(string text)
    {
        ReadOnlySpan<char> span = text;
        int start = 0;
        int end = span.Length;
        while (start < end && span[start] <= ' ')
        {
            start++;
        }

        while (end > start && span[end - 1] <= ' ')
        {
            end--;
        }

        return span[start..end];
    }
}
