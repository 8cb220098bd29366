using System.Globalization;
using Clara.Engine.Tokenization;
using Clara.Engine.Tokenization.Streaming;

namespace Clara.Engine.AI;

/// <summary>
/// Turns the answer's tokens, as they come, into text deltas whose concatenation is exactly the answer's text: the
/// tokenizer's decode (through <see cref="IncrementalDetokenizer"/>, a bounded amount of work per token), or the ids
/// joined by spaces for a model without a tokenizer.
/// </summary>
internal sealed class StreamedText(ITextTokenizer? tokenizer)
{
    private readonly IncrementalDetokenizer? _text = tokenizer?.DecodeStream();
    private bool _first = true;

    /// <summary>Adds one token; returns the text it completes, or null while it completes none.</summary>
    public string? Add(int token) => NullIfEmpty(_text is null ? IdText(token) : _text.Add(token));

    /// <summary>The text not yet returned (a trailing partial character included), once the answer is complete.</summary>
    public string? Flush() => NullIfEmpty(_text?.Finish() ?? "");

    private string IdText(int token)
    {
        string text = token.ToString(CultureInfo.InvariantCulture);
        if (!_first) text = " " + text;
        _first = false;
        return text;
    }

    private static string? NullIfEmpty(string text) => text.Length == 0 ? null : text;
}
