using System.Text;

namespace Clara.Engine.Tokenization.SentencePiece;

/// <summary>
/// sentencepiece's unigram model (unigram_model.cc, the optimized Viterbi): the segmentation whose pieces' scores
/// sum highest. Ends are visited start by start and, from one start, shortest piece first; a later candidate must
/// score strictly higher to replace an earlier one, which fixes the choice among equal sums as sentencepiece does.
/// A code point that starts no piece of its own length is an unknown piece scored (lowest score − 10);
/// user-defined pieces score (UTF-8 length × highest score − 0.1), so they are always chosen.
/// </summary>
internal sealed class UnigramSegmenter : ISegmenter
{
    private const float UnknownPenalty = 10f;
    private const float FltMin = 1.17549435E-38f;  // C's FLT_MIN, sentencepiece's starting maximum

    private readonly SentencePieceVocabulary _vocabulary;
    private readonly float _unknownScore;
    private readonly float _maxScore;

    public UnigramSegmenter(SentencePieceVocabulary vocabulary)
    {
        _vocabulary = vocabulary;
        float min = float.MaxValue, max = FltMin;
        for (int id = 0; id < vocabulary.Count; id++)
        {
            if (vocabulary.Types[id] != PieceType.Normal) continue;
            min = Math.Min(min, vocabulary.Scores[id]);
            max = Math.Max(max, vocabulary.Scores[id]);
        }
        _unknownScore = min - UnknownPenalty;
        _maxScore = max;
    }

    private struct Best
    {
        public float Score;
        public int Start, Id;
    }

    public void Segment(ReadOnlySpan<char> normalized, List<Segment> output, ref float pathScore)
    {
        int size = normalized.Length;
        if (size == 0) return;
        var best = new Best[size + 1];
        for (int i = 0; i <= size; i++) best[i].Start = -1;
        best[0].Score = pathScore;
        int maxLength = _vocabulary.MaxPieceLength;
        for (int start = 0; start < size;)
        {
            float scoreHere = best[start].Score;
            int charLength = char.IsHighSurrogate(normalized[start]) && start + 1 < size && char.IsLowSurrogate(normalized[start + 1]) ? 2 : 1;
            bool hasSingle = false;
            for (int length = 1; length <= maxLength && start + length <= size; length++)
            {
                int id = _vocabulary.SegmentableId(normalized.Slice(start, length));
                if (id < 0 || _vocabulary.Types[id] == PieceType.Unused) continue;
                // In sentencepiece this sum is a double (the user-defined branch makes the expression double),
                // compared with the float already stored and then stored as a float; the same is done here.
                double score = _vocabulary.Types[id] == PieceType.UserDefined
                    ? Encoding.UTF8.GetByteCount(normalized.Slice(start, length)) * _maxScore - 0.1
                    : _vocabulary.Scores[id];
                double candidate = score + scoreHere;
                Offer(ref best[start + length], candidate, start, id);
                if (length == charLength) hasSingle = true;
            }
            if (!hasSingle) Offer(ref best[start + charLength], _unknownScore + scoreHere, start, _vocabulary.UnknownId);
            start += charLength;
        }

        pathScore = best[size].Score;
        int first = output.Count;
        for (int end = size; end > 0; end = best[end].Start)
            output.Add(new Segment(best[end].Start, end - best[end].Start, best[end].Id));
        output.Reverse(first, output.Count - first);
    }

    private static void Offer(ref Best target, double score, int start, int id)
    {
        if (target.Start != -1 && !(score > target.Score)) return;
        target.Score = (float)score;
        target.Start = start;
        target.Id = id;
    }
}
