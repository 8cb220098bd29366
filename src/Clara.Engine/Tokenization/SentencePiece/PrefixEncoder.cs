namespace Clara.Engine.Tokenization.SentencePiece;

/// <summary>
/// The first ids of a long text without tokenizing all of it: the text is encoded chunk by chunk, each chunk
/// ending at an exact cut (<see cref="SentencePieceProcessor.IsExactCut"/>), until enough ids exist. The ids are
/// those of encoding the whole text; a text with no exact cut (a unigram model, one 20 MB run of one character)
/// is encoded whole.
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
        bool previousUnknown = false;
        for (int position = 0; position < text.Length && ids.Count < target;)
        {
            int end = NextCut(processor, text, Math.Min(text.Length, position + chunk));
            if (position == 0) processor.EncodeStart(text[..end], ids, ref previousUnknown);
            else processor.EncodeContinuation(text[position..end], ids, ref previousUnknown);
            position = end;
        }
    }

    private static int NextCut(SentencePieceProcessor processor, ReadOnlySpan<char> text, int from)
    {
        for (int cut = from; cut < text.Length; cut++)
            if (processor.IsExactCut(text, cut)) return cut;
        return text.Length;
    }
}
