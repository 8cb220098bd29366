namespace Clara.Engine.Tokenization.SentencePiece;

/// <summary>
/// sentencepiece's BPE (bpe_model.cc): start from code points (user-defined pieces as frozen units), then repeatedly
/// merge the adjacent pair whose concatenation is the highest-scoring piece, the leftmost pair on equal scores.
/// Microsoft.ML.Tokenizers merges the rightmost of two equal-score pairs, which splits every run of a repeated
/// character differently ("aaaa", "((((", "========"); this is the reason the engine segments on its own.
/// UNUSED pieces may be formed by a merge but are split back into the two pieces they were made of.
/// </summary>
internal sealed class BpeSegmenter(SentencePieceVocabulary vocabulary) : ISegmenter
{
    private struct Symbol
    {
        public int Start, Length, Prev, Next;
        public bool Frozen;
    }

    /// <summary>A candidate merge; <see cref="Size"/> detects candidates made stale by an earlier merge.</summary>
    private readonly record struct Candidate(int Left, int Right, int Size);

    /// <summary>Highest score first, then the smallest left index (the leftmost pair).</summary>
    private sealed class Order : IComparer<(float Score, int Left)>
    {
        public static readonly Order Instance = new();

        public int Compare((float Score, int Left) a, (float Score, int Left) b)
        {
            int byScore = b.Score.CompareTo(a.Score);
            return byScore != 0 ? byScore : a.Left.CompareTo(b.Left);
        }
    }

    public void Segment(string normalized, List<Segment> output)
    {
        if (normalized.Length == 0) return;
        var symbols = new Symbol[normalized.Length];
        int count = 0;
        for (int i = 0; i < normalized.Length;)
        {
            int length = vocabulary.UserDefined.Match(normalized.AsSpan(i));
            bool frozen = length > 0;
            if (!frozen) length = char.IsHighSurrogate(normalized[i]) && i + 1 < normalized.Length && char.IsLowSurrogate(normalized[i + 1]) ? 2 : 1;
            symbols[count] = new Symbol { Start = i, Length = length, Prev = count - 1, Next = i + length < normalized.Length ? count + 1 : -1, Frozen = frozen };
            count++;
            i += length;
        }

        var agenda = new PriorityQueue<Candidate, (float, int)>(Order.Instance);
        Dictionary<string, (int, int, int, int)>? unusedOrigins = null;
        for (int i = 1; i < count; i++) Consider(i - 1, i);

        while (agenda.TryDequeue(out var top, out _))
        {
            ref var left = ref symbols[top.Left];
            ref var right = ref symbols[top.Right];
            if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != top.Size) continue;
            left.Length += right.Length;
            left.Next = right.Next;
            if (right.Next >= 0) symbols[right.Next].Prev = top.Left;
            right.Length = 0;
            Consider(left.Prev, top.Left);
            Consider(top.Left, left.Next);
        }

        for (int i = 0; i != -1; i = symbols[i].Next)
            Emit(symbols[i].Start, symbols[i].Length);

        void Consider(int left, int right)
        {
            if (left < 0 || right < 0 || symbols[left].Frozen || symbols[right].Frozen) return;
            int start = symbols[left].Start, size = symbols[left].Length + symbols[right].Length;
            int id = vocabulary.SegmentableId(normalized.AsSpan(start, size));
            if (id < 0) return;
            agenda.Enqueue(new Candidate(left, right, size), (vocabulary.Scores[id], left));
            if (vocabulary.Types[id] == PieceType.Unused)
            {
                unusedOrigins ??= new Dictionary<string, (int, int, int, int)>(StringComparer.Ordinal);
                unusedOrigins[normalized.Substring(start, size)] = (start, symbols[left].Length, symbols[right].Start, symbols[right].Length);
            }
        }

        void Emit(int start, int length)
        {
            int id = vocabulary.PieceToId(normalized.AsSpan(start, length));
            if (id != vocabulary.UnknownId && vocabulary.Types[id] == PieceType.Unused
                && unusedOrigins is not null && unusedOrigins.TryGetValue(normalized.Substring(start, length), out var origin))
            {
                Emit(origin.Item1, origin.Item2);
                Emit(origin.Item3, origin.Item4);
                return;
            }
            output.Add(new Segment(start, length, id));
        }
    }
}
