using System.Text;

namespace Clara.Engine.Tokenization.Streaming;

/// <summary>
/// One tokenizer's decoding, fed one id at a time. What it appends over a whole stream, <see cref="Finish"/> included,
/// is exactly the tokenizer's Decode of the same ids; text is appended only once no later id can change it.
/// </summary>
internal interface ITokenTextStream
{
    /// <summary>Appends to <paramref name="output"/> the text that <paramref name="id"/> makes final (often none).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is not in the tokenizer's vocabulary (as Decode says).</exception>
    void Add(int id, StringBuilder output);

    /// <summary>Appends the text still held back: the ids are complete.</summary>
    void Finish(StringBuilder output);
}
