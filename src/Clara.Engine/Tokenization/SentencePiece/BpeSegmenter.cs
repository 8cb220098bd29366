namespace Clara.Engine.Tokenization.SentencePiece;

/// <summary>
/// sentencepiece's BPE (bpe_model.cc): start from code points (user-defined pieces as frozen units), then repeatedly
/// merge the adjacent pair whose concatenation is the highest-scoring piece, the leftmost pair on equal scores.
/// Microsoft.ML.Tokenizers merges the rightmost of two equal-score pairs, which splits every run of a repeated
/// character differently ("aaaa", "((((", "========"); this is the reason the engine segments on its own.
/// UNUSED pieces may be formed by a merge but are split back into the two pieces they were made of.
/// </summary>
internal sealed class BpeSegmenter : ISegmenter
{
    private readonly SentencePieceVocabulary _vocabulary;

    /// <summary>(left id, right id) → id of the piece they concatenate to, for every split of every piece into two pieces.</summary>
    private readonly Dictionary<long, int> _merges = new();

    /// <summary>The segmentable id of each UTF-16 code unit taken alone, −1 when it is no piece.</summary>
    private readonly int[] _charIds = new int[char.MaxValue + 1];

    public BpeSegmenter(SentencePieceVocabulary vocabulary)
    {
        _vocabulary = vocabulary;
        foreach (var (piece, id) in vocabulary.Segmentable)
        {
            for (int cut = 1; cut < piece.Length; cut++)
            {
                if (char.IsLowSurrogate(piece[cut])) continue;
                int left = vocabulary.SegmentableId(piece.AsSpan(0, cut)), right = vocabulary.SegmentableId(piece.AsSpan(cut));
                if (left >= 0 && right >= 0) _merges[Key(left, right)] = id;
            }
        }
        for (int c = 0; c <= char.MaxValue; c++)
        {
            char ch = (char)c;
            _charIds[c] = vocabulary.SegmentableId(new ReadOnlySpan<char>(in ch));
        }
    }

    private static long Key(int left, int right) => (long)left << 32 | (uint)right;

    private struct Symbol
    {
        public int Start, Length, Prev, Next, Id;
        public bool Frozen;
    }

    /// <summary>A candidate merge; <see cref="Size"/> detects candidates made stale by an earlier merge.</summary>
    private readonly record struct Candidate(int Left, int Right, int Size, int Id);

    /// <summary>
    /// The agenda's order as one integer, smallest first: the highest score, then the smallest left index (the
    /// leftmost pair). Scores map to unsigned integers in float order (−0 taken as +0, as C++ compares them), so
    /// the heap compares longs instead of calling a comparer.
    /// </summary>
    private static long Priority(float score, int left)
    {
        uint bits = BitConverter.SingleToUInt32Bits(score == 0 ? 0f : score);
        uint ordered = (bits & 0x80000000u) != 0 ? ~bits : bits | 0x80000000u;
        return (long)(uint.MaxValue - ordered) << 31 | (uint)left;
    }

    public void Segment(string normalized, List<Segment> output)
    {
        if (normalized.Length == 0) return;
        var symbols = new Symbol[normalized.Length];
        int count = 0;
        for (int i = 0; i < normalized.Length;)
        {
            int length = _vocabulary.UserDefined.Match(normalized.AsSpan(i));
            bool frozen = length > 0;
            if (!frozen) length = char.IsHighSurrogate(normalized[i]) && i + 1 < normalized.Length && char.IsLowSurrogate(normalized[i + 1]) ? 2 : 1;
            int id = length == 1 ? _charIds[normalized[i]] : _vocabulary.SegmentableId(normalized.AsSpan(i, length));
            symbols[count] = new Symbol { Start = i, Length = length, Prev = count - 1, Next = i + length < normalized.Length ? count + 1 : -1, Id = id, Frozen = frozen };
            count++;
            i += length;
        }

        var agenda = new CandidateHeap(2 * count);
        Dictionary<string, (int, int, int, int)>? unusedOrigins = null;
        for (int i = 1; i < count; i++) Consider(i - 1, i);

        while (agenda.TryPop(out var top))
        {
            ref var left = ref symbols[top.Left];
            ref var right = ref symbols[top.Right];
            if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != top.Size) continue;
            left.Length += right.Length;
            left.Id = top.Id;
            left.Next = right.Next;
            if (right.Next >= 0) symbols[right.Next].Prev = top.Left;
            right.Length = 0;
            Consider(left.Prev, top.Left);
            Consider(top.Left, left.Next);
        }

        for (int i = 0; i != -1; i = symbols[i].Next)
        {
            // The symbol's id is already known unless it is no piece, an UNUSED piece, or shares its text with a reserved one.
            int id = symbols[i].Id;
            if (id >= 0 && _vocabulary.Types[id] != PieceType.Unused && !_vocabulary.IsAlsoReserved(id))
                output.Add(new Segment(symbols[i].Start, symbols[i].Length, id));
            else
                Emit(symbols[i].Start, symbols[i].Length);
        }

        void Consider(int left, int right)
        {
            if (left < 0 || right < 0 || symbols[left].Frozen || symbols[right].Frozen) return;
            int start = symbols[left].Start, size = symbols[left].Length + symbols[right].Length;
            // Both sides are pieces almost always, and then the pair table answers; a side that is no piece (a
            // character outside the vocabulary) is looked up by its text, as sentencepiece always does.
            int id = symbols[left].Id >= 0 && symbols[right].Id >= 0
                ? _merges.GetValueOrDefault(Key(symbols[left].Id, symbols[right].Id), -1)
                : _vocabulary.SegmentableId(normalized.AsSpan(start, size));
            if (id < 0) return;
            agenda.Push(Priority(_vocabulary.Scores[id], left), new Candidate(left, right, size, id));
            if (_vocabulary.Types[id] == PieceType.Unused)
            {
                unusedOrigins ??= new Dictionary<string, (int, int, int, int)>(StringComparer.Ordinal);
                unusedOrigins[normalized.Substring(start, size)] = (start, symbols[left].Length, symbols[right].Start, symbols[right].Length);
            }
        }

        void Emit(int start, int length)
        {
            int id = _vocabulary.PieceToId(normalized.AsSpan(start, length));
            if (id != _vocabulary.UnknownId && _vocabulary.Types[id] == PieceType.Unused
                && unusedOrigins is not null && unusedOrigins.TryGetValue(normalized.Substring(start, length), out var origin))
            {
                Emit(origin.Item1, origin.Item2);
                Emit(origin.Item3, origin.Item4);
                return;
            }
            output.Add(new Segment(start, length, id));
        }
    }

    /// <summary>A binary min-heap on the integer priority (no comparer calls: this is the inner loop).</summary>
    private sealed class CandidateHeap(int capacity)
    {
        private long[] _keys = new long[Math.Max(4, capacity)];
        private Candidate[] _items = new Candidate[Math.Max(4, capacity)];
        private int _count;

        public void Push(long key, Candidate item)
        {
            if (_count == _keys.Length)
            {
                Array.Resize(ref _keys, _count * 2);
                Array.Resize(ref _items, _count * 2);
            }
            int i = _count++;
            while (i > 0)
            {
                int parent = (i - 1) >> 1;
                if (_keys[parent] <= key) break;
                _keys[i] = _keys[parent];
                _items[i] = _items[parent];
                i = parent;
            }
            _keys[i] = key;
            _items[i] = item;
        }

        public bool TryPop(out Candidate top)
        {
            if (_count == 0) { top = default; return false; }
            top = _items[0];
            long key = _keys[--_count];
            var item = _items[_count];
            int i = 0;
            while (true)
            {
                int child = 2 * i + 1;
                if (child >= _count) break;
                if (child + 1 < _count && _keys[child + 1] < _keys[child]) child++;
                if (key <= _keys[child]) break;
                _keys[i] = _keys[child];
                _items[i] = _items[child];
                i = child;
            }
            _keys[i] = key;
            _items[i] = item;
            return true;
        }
    }
}
