namespace Clara.Engine.Tokenization.SentencePiece;

/// <summary>
/// The first ids of a long text without tokenizing all of it: the text is encoded chunk by chunk, each chunk
/// ending at an exact cut (<see cref="SentencePieceProcessor.IsExactCut"/>), until enough ids exist. The ids are
/// those of encoding the whole text; a text with no exact cut near enough is refused (<see cref="ExactCutSearch"/>).
/// </summary>
internal static class PrefixEncoder
{
    /// <summary>Chunks of about this many characters per wanted id; a token rarely spans more.</summary>
    private const int CharactersPerId = 8;
    private const int MinimumChunk = 1024;

    /// <summary>Appends at least <paramref name="wanted"/> ids of <paramref name="text"/> (all of them when it has fewer).</summary>
    public static void Encode(SentencePieceProcessor processor, ReadOnlySpan<char> text, int wanted, List<int> ids)
    {
        int target = ids.Count + wanted;
        int chunk = (int)Math.Clamp((long)wanted * CharactersPerId, MinimumChunk, int.MaxValue / 2);
        var carry = new EncodeCarry();
        for (int position = 0; position < text.Length && ids.Count < target;)
        {
            int end = ExactCutSearch.NextCut(processor, text, (int)Math.Min(text.Length, (long)position + chunk));
            if (position == 0) processor.EncodeStart(text[..end], ids, ref carry);
            else processor.EncodeContinuation(text[position..end], ids, ref carry);
            position = end;
        }
    }
}
