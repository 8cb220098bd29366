namespace Clara.Engine.Tokenization;

/// <summary>Places where a text can be cut and its two sides tokenized apart with exactly the ids of the whole text.</summary>
internal interface IExactCuts
{
    bool IsExactCut(ReadOnlySpan<char> text, int cut);
}

/// <summary>
/// The next exact cut for a bounded encode (only the first ids of a long text are kept), looked for in a window of
/// bounded length, so a document of many megabytes costs memory for what is kept, not for all of it. A text with no
/// exact cut in that window (one run of a single character, a megabyte of base64 with no word break) is refused:
/// its first ids could depend on any later character, and tokenizing all of it is what the bound is there to avoid.
/// </summary>
internal static class ExactCutSearch
{
    /// <summary>How many characters past the wanted ones are tokenized at most (about 60 MB of segmenter state).</summary>
    public const int MaxUncutCharacters = 1 << 20;

    /// <summary>The first exact cut at or after <paramref name="from"/>, or the text's end when that is near.</summary>
    /// <exception cref="InvalidDataException">No exact cut within <see cref="MaxUncutCharacters"/> characters.</exception>
    public static int NextCut(IExactCuts cuts, ReadOnlySpan<char> text, int from)
    {
        int limit = (int)Math.Min(text.Length, (long)from + MaxUncutCharacters);
        for (int cut = Math.Max(from, 1); cut < limit; cut++)
            if (cuts.IsExactCut(text, cut)) return cut;
        if (limit == text.Length) return text.Length;
        throw NoCut(text.Length, from, limit);
    }

    public static InvalidDataException NoCut(int textLength, int from, int limit) => new(
        $"a text of {textLength:N0} characters has no place in characters {from:N0} to {limit:N0} where its tokens can be cut " +
        $"(for example one run of a single character): keeping only its first tokens would need tokenizing all of it, " +
        $"and the engine tokenizes at most {MaxUncutCharacters:N0} characters past what it keeps");
}

/// <summary>
/// Exact cuts of one word for a BPE whose every merge makes a token of its vocabulary (Hugging Face's BPE without
/// ignore_merges or dropout, which the loader refuses): where no token holds the two characters around the cut side
/// by side, no merge can join the sides, and the merges on one side never depend on the other.
/// </summary>
internal sealed class VocabularyPairCuts : IExactCuts
{
    private readonly SentencePiece.CharPairSet _joined;

    public VocabularyPairCuts(IEnumerable<string> tokens) => _joined = SentencePiece.CharPairSet.AdjacentIn(tokens);

    public bool IsExactCut(ReadOnlySpan<char> text, int cut)
    {
        if (cut <= 0 || cut >= text.Length) return false;
        char before = text[cut - 1], after = text[cut];
        return !char.IsSurrogate(before) && !char.IsSurrogate(after) && !_joined.Contains(before, after);
    }
}
