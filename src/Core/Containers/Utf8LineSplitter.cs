using System.Diagnostics;
using System.Text;

namespace Perf.Invoker.Containers;

/// <summary>
/// Turns the chunks of one output stream into lines: UTF-8 decoded across chunk boundaries (a character
/// split between two chunks stays whole), split at LF (runtimes/nodejs/README.md, "Logs"), without the LF.
/// </summary>
internal sealed class Utf8LineSplitter
{
    private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();

    /// <summary>The text of the line not yet ended by an LF; never contains an LF.</summary>
    private readonly StringBuilder _partial = new();

    private char[] _chars = new char[256];

    /// <summary>Appends each line that <paramref name="bytes"/> completes to <paramref name="lines"/>.</summary>
    public void Write(ReadOnlySpan<byte> bytes, List<string> lines)
    {
        int needed = _decoder.GetCharCount(bytes, flush: false);
        if (needed > _chars.Length)
        {
            _chars = new char[Math.Max(needed, _chars.Length * 2)];
        }

        int count = _decoder.GetChars(bytes, _chars, flush: false);
        ReadOnlySpan<char> text = _chars.AsSpan(0, count);
        for (int lf = text.IndexOf('\n'); lf >= 0; lf = text.IndexOf('\n'))
        {
            if (_partial.Length == 0)
            {
                lines.Add(new string(text[..lf]));
            }
            else
            {
                lines.Add(_partial.Append(text[..lf]).ToString());
                _partial.Clear();
            }

            text = text[(lf + 1)..];
        }

        _partial.Append(text);
        Debug.Assert(_partial.ToString().IndexOf('\n', StringComparison.Ordinal) < 0, "the partial line never holds a line feed");
    }

    /// <summary>At the end of the stream: the last line when it had no LF (and any incomplete character, replaced).</summary>
    public void Flush(List<string> lines)
    {
        int count = _decoder.GetChars([], _chars, flush: true);
        _partial.Append(_chars, 0, count);
        if (_partial.Length > 0)
        {
            lines.Add(_partial.ToString());
            _partial.Clear();
        }
    }
}
