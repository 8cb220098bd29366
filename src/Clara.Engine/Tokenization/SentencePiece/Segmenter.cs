namespace Clara.Engine.Tokenization.SentencePiece;

/// <summary>A piece of the normalized text: where it is and its id (the unknown id when it is no piece).</summary>
internal readonly record struct Segment(int Start, int Length, int Id);

/// <summary>Cuts normalized text into pieces, as one of sentencepiece's models does.</summary>
internal interface ISegmenter
{
    /// <param name="pathScore">
    /// Unigram: the best path's score where <paramref name="normalized"/> starts (0 for a whole text), and on
    /// return where it ends. A text encoded in parts cut where no piece spans (<see cref="SentencePieceProcessor.IsExactCut"/>)
    /// passes it on, so every float sum is the one the whole text gives and near-ties are broken the same way.
    /// BPE leaves it unchanged.
    /// </param>
    void Segment(ReadOnlySpan<char> normalized, List<Segment> output, ref float pathScore);
}

/// <summary>What an encode cut at an exact cut hands to the encode of the rest of the text.</summary>
internal struct EncodeCarry
{
    /// <summary>The last id was the unknown id (a run of unknown pieces is one id, across the cut too).</summary>
    public bool PreviousUnknown;

    /// <summary>The unigram path's score at the cut (see <see cref="ISegmenter.Segment"/>).</summary>
    public float PathScore;
}
