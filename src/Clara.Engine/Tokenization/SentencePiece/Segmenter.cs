namespace Clara.Engine.Tokenization.SentencePiece;

/// <summary>A piece of the normalized text: where it is and its id (the unknown id when it is no piece).</summary>
internal readonly record struct Segment(int Start, int Length, int Id);

/// <summary>Cuts normalized text into pieces, as one of sentencepiece's models does.</summary>
internal interface ISegmenter
{
    void Segment(ReadOnlySpan<char> normalized, List<Segment> output);
}
