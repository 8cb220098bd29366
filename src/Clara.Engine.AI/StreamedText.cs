namespace Clara.Engine.AI;

/// <summary>
/// Turns a growing answer into text deltas whose concatenation is exactly the decoded answer. Each step decodes the
/// whole answer so far: decoding only recent tokens is not exact with SentencePiece, which drops the leading space of
/// a window's first word when the window starts at a control token or a byte piece (measured on the clara-text
/// tokenizer), and answers are short next to the model work of each token. Text that ends inside a character
/// (U+FFFD) is held back until the character completes or the answer ends.
/// </summary>
internal sealed class StreamedText(Func<IReadOnlyList<int>, string> decode)
{
    private readonly List<int> _ids = [];
    private string _printed = "";

    /// <summary>Adds one token; returns the text it completes, or null while it completes none.</summary>
    public string? Add(int token)
    {
        _ids.Add(token);
        var text = decode(_ids);
        return text.EndsWith('\uFFFD') ? null : Take(text);
    }

    /// <summary>The text not yet returned (a trailing partial character included), once the answer is complete.</summary>
    public string? Flush() => Take(decode(_ids));

    /// <summary>
    /// The part of <paramref name="text"/> after what was printed; null when nothing new (or when the decoder revised
    /// printed text, which SentencePiece does not do: the final flush still ends the stream on the decoded answer).
    /// </summary>
    private string? Take(string text)
    {
        if (text.Length <= _printed.Length || !text.StartsWith(_printed, StringComparison.Ordinal)) return null;
        var delta = text[_printed.Length..];
        _printed = text;
        return delta;
    }
}
