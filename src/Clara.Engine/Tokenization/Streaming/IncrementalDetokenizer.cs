using System.Text;

namespace Clara.Engine.Tokenization.Streaming;

/// <summary>
/// Turns token ids, fed one at a time as they are generated, into text deltas: <see cref="Add"/> returns the text the
/// id makes final and <see cref="Finish"/> the rest, and their concatenation is exactly
/// <see cref="ITextTokenizer.Decode"/> of all the ids. Each id costs a bounded amount of work, where decoding the
/// whole answer again at every token costs work growing with its length. Text is held back while a later id could
/// still change it: the bytes of an unfinished UTF-8 character (byte-fallback pieces such as &lt;0xE2&gt;, byte-level
/// tokens), a run of byte pieces where the tokenizer's decoder judges the whole run, trailing characters a decoder
/// strips at the end. Special ids (EOS…) add nothing, as Decode skips them.
/// </summary>
/// <remarks>One per answer, from <see cref="ITextTokenizer.DecodeStream"/>; not thread-safe.</remarks>
public sealed class IncrementalDetokenizer
{
    private readonly ITokenTextStream _stream;
    private readonly StringBuilder _text = new();
    private bool _finished;

    internal IncrementalDetokenizer(ITokenTextStream stream, DecodeWork work)
    {
        _stream = stream;
        Work = work;
    }

    /// <summary>Tokens decoded so far, each counted every time it is decoded.</summary>
    internal DecodeWork Work { get; }

    /// <summary>The text <paramref name="id"/> makes final; empty while it completes none.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is outside the tokenizer's vocabulary.</exception>
    /// <exception cref="InvalidOperationException">The stream was finished.</exception>
    public string Add(int id)
    {
        if (_finished) throw new InvalidOperationException("the detokenizer was finished; start another for another answer");
        _stream.Add(id, _text);
        return Take();
    }

    /// <summary>The text still held back, once the answer is complete; the detokenizer takes no more ids.</summary>
    public string Finish()
    {
        if (_finished) return "";
        _finished = true;
        _stream.Finish(_text);
        return Take();
    }

    private string Take()
    {
        if (_text.Length == 0) return "";
        var delta = _text.ToString();
        _text.Clear();
        return delta;
    }
}
