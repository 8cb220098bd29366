using System.Runtime.CompilerServices;

namespace Clara.Engine.Tokenization.SentencePiece;

/// <summary>
/// sentencepiece's BPE (bpe_model.cc): start from code points (user-defined pieces as frozen units), then repeatedly
/// merge the adjacent pair whose concatenation is the highest-scoring piece, the leftmost pair on equal scores.
/// Microsoft.ML.Tokenizers merges the rightmost of two equal-score pairs, which splits every run of a repeated
/// character differently ("aaaa", "((((", "========"); this is the reason the engine segments on its own.
/// UNUSED pieces may be formed by a merge but are split back into the two pieces they were made of.
/// The symbols form a linked list in one array and the agenda is a heap on integer keys; both live in a per-thread
/// workspace, so a call allocates nothing unless the model has UNUSED pieces.
/// </summary>
internal sealed class BpeSegmenter : ISegmenter
{
    private readonly SentencePieceVocabulary _vocabulary;

    /// <summary>(left id, right id) → id of the piece they concatenate to, for every split of every piece into two pieces.</summary>
    private readonly PairIdTable _merges;

    /// <summary>The segmentable id of each UTF-16 code unit taken alone, −1 when it is no piece.</summary>
    private readonly int[] _charIds = new int[char.MaxValue + 1];

    /// <summary>Each id's score as an unsigned integer in reverse score order (see <see cref="Rank"/>).</summary>
    private readonly uint[] _ranks;

    /// <summary>Whether an id must not be emitted as it is (an UNUSED piece, or one whose text is also a reserved piece's).</summary>
    private readonly bool[] _lookUpAgain;

    private readonly bool _hasUnused;
    private readonly ThreadLocal<Workspace> _workspace = new(() => new Workspace());

    public BpeSegmenter(SentencePieceVocabulary vocabulary)
    {
        _vocabulary = vocabulary;
        var merges = new List<(int, int, int)>();
        foreach (var (piece, id) in vocabulary.Segmentable)
        {
            for (int cut = 1; cut < piece.Length; cut++)
            {
                if (char.IsLowSurrogate(piece[cut])) continue;
                int left = vocabulary.SegmentableId(piece.AsSpan(0, cut)), right = vocabulary.SegmentableId(piece.AsSpan(cut));
                if (left >= 0 && right >= 0) merges.Add((left, right, id));
            }
        }
        _merges = new PairIdTable(merges);
        for (int c = 0; c <= char.MaxValue; c++)
        {
            char ch = (char)c;
            _charIds[c] = vocabulary.SegmentableId(new ReadOnlySpan<char>(in ch));
        }
        _ranks = new uint[vocabulary.Count];
        _lookUpAgain = new bool[vocabulary.Count];
        for (int id = 0; id < vocabulary.Count; id++)
        {
            _ranks[id] = Rank(vocabulary.Scores[id]);
            _lookUpAgain[id] = vocabulary.Types[id] == PieceType.Unused || vocabulary.IsAlsoReserved(id);
            _hasUnused |= vocabulary.Types[id] == PieceType.Unused;
        }
    }

    /// <summary>Whether the model has UNUSED pieces (whose splitting back depends on the whole text).</summary>
    public bool HasUnusedPieces => _hasUnused;

    private struct Symbol
    {
        public int Start, Length, Prev, Next, Id;
        public bool Frozen;
    }

    /// <summary>A candidate merge; <see cref="Size"/> detects candidates made stale by an earlier merge.</summary>
    private readonly record struct Candidate(int Left, int Right, int Size, int Id);

    private sealed class Workspace
    {
        public const int MaxKeptLength = 1 << 16;
        public Symbol[] Symbols = new Symbol[256];
        public readonly CandidateHeap Agenda = new(512);
    }

    /// <summary>
    /// Scores as unsigned integers, smallest for the highest score (−0 taken as +0, as C++ compares them), so the
    /// agenda's order — highest score, then the leftmost pair — is one integer: rank above, left index below.
    /// </summary>
    private static uint Rank(float score)
    {
        uint bits = BitConverter.SingleToUInt32Bits(score == 0 ? 0f : score);
        uint ordered = (bits & 0x80000000u) != 0 ? ~bits : bits | 0x80000000u;
        return uint.MaxValue - ordered;
    }

    public void Segment(ReadOnlySpan<char> text, List<Segment> output, ref float pathScore)
    {
        if (text.IsEmpty) return;
        // A text longer than any chunk (a run with no cut, a whole text encoded in one run) gets buffers of its own,
        // so that no thread keeps a buffer the size of the longest text it ever saw.
        var workspace = text.Length <= Workspace.MaxKeptLength ? _workspace.Value! : new Workspace();
        if (workspace.Symbols.Length < text.Length) workspace.Symbols = new Symbol[Math.Max(text.Length, 2 * workspace.Symbols.Length)];
        var symbols = workspace.Symbols;
        var userDefined = _vocabulary.UserDefined;
        bool anyUserDefined = !userDefined.IsEmpty;
        int count = 0;
        for (int i = 0; i < text.Length;)
        {
            int length = anyUserDefined ? userDefined.Match(text[i..]) : 0;
            bool frozen = length > 0;
            if (!frozen) length = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            int id = length == 1 ? _charIds[text[i]] : _vocabulary.SegmentableId(text.Slice(i, length));
            ref var symbol = ref symbols[count];
            symbol.Start = i;
            symbol.Length = length;
            symbol.Prev = count - 1;
            symbol.Next = i + length < text.Length ? count + 1 : -1;
            symbol.Id = id;
            symbol.Frozen = frozen;
            count++;
            i += length;
        }

        var agenda = workspace.Agenda;
        agenda.Clear();
        Dictionary<string, (int, int, int, int)>? unusedOrigins = null;
        for (int i = 1; i < count; i++) Consider(text, symbols, agenda, i - 1, i, ref unusedOrigins);

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
            if (left.Prev >= 0) Consider(text, symbols, agenda, left.Prev, top.Left, ref unusedOrigins);
            if (left.Next >= 0) Consider(text, symbols, agenda, top.Left, left.Next, ref unusedOrigins);
        }

        for (int i = 0; i != -1; i = symbols[i].Next)
        {
            // The symbol's id is already known unless it is no piece, an UNUSED piece, or shares its text with a reserved one.
            int id = symbols[i].Id;
            if (id >= 0 && !_lookUpAgain[id]) output.Add(new Segment(symbols[i].Start, symbols[i].Length, id));
            else Emit(text, symbols[i].Start, symbols[i].Length, unusedOrigins, output);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Consider(ReadOnlySpan<char> text, Symbol[] symbols, CandidateHeap agenda, int left, int right,
        ref Dictionary<string, (int, int, int, int)>? unusedOrigins)
    {
        ref var l = ref symbols[left];
        ref var r = ref symbols[right];
        if (l.Frozen || r.Frozen) return;
        int size = l.Length + r.Length;
        // Both sides are pieces almost always, and then the pair table answers; a side that is no piece (a
        // character outside the vocabulary) is looked up by its text, as sentencepiece always does.
        int id = l.Id >= 0 && r.Id >= 0 ? _merges.Get(l.Id, r.Id) : _vocabulary.SegmentableId(text.Slice(l.Start, size));
        if (id < 0) return;
        agenda.Push((long)_ranks[id] << 31 | (uint)left, new Candidate(left, right, size, id));
        if (_hasUnused && _vocabulary.Types[id] == PieceType.Unused)
        {
            unusedOrigins ??= new Dictionary<string, (int, int, int, int)>(StringComparer.Ordinal);
            unusedOrigins[new string(text.Slice(l.Start, size))] = (l.Start, l.Length, r.Start, r.Length);
        }
    }

    private void Emit(ReadOnlySpan<char> text, int start, int length, Dictionary<string, (int, int, int, int)>? unusedOrigins, List<Segment> output)
    {
        int id = _vocabulary.PieceToId(text.Slice(start, length));
        if (id != _vocabulary.UnknownId && _vocabulary.Types[id] == PieceType.Unused
            && unusedOrigins is not null && unusedOrigins.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(text.Slice(start, length), out var origin))
        {
            Emit(text, origin.Item1, origin.Item2, unusedOrigins, output);
            Emit(text, origin.Item3, origin.Item4, unusedOrigins, output);
            return;
        }
        output.Add(new Segment(start, length, id));
    }

    /// <summary>A binary min-heap on the integer priority (no comparer calls: this is the inner loop).</summary>
    private sealed class CandidateHeap(int capacity)
    {
        private long[] _keys = new long[Math.Max(4, capacity)];
        private Candidate[] _items = new Candidate[Math.Max(4, capacity)];
        private int _count;

        public void Clear() => _count = 0;

        public void Push(long key, Candidate item)
        {
            if (_count == _keys.Length)
            {
                Array.Resize(ref _keys, _count * 2);
                Array.Resize(ref _items, _count * 2);
            }
            var keys = _keys;
            var items = _items;
            int i = _count++;
            while (i > 0)
            {
                int parent = (i - 1) >> 1;
                if (keys[parent] <= key) break;
                keys[i] = keys[parent];
                items[i] = items[parent];
                i = parent;
            }
            keys[i] = key;
            items[i] = item;
        }

        public bool TryPop(out Candidate top)
        {
            if (_count == 0) { top = default; return false; }
            var keys = _keys;
            var items = _items;
            top = items[0];
            int count = --_count;
            long key = keys[count];
            var item = items[count];
            int i = 0;
            while (true)
            {
                int child = 2 * i + 1;
                if (child >= count) break;
                if (child + 1 < count && keys[child + 1] < keys[child]) child++;
                if (key <= keys[child]) break;
                keys[i] = keys[child];
                items[i] = items[child];
                i = child;
            }
            keys[i] = key;
            items[i] = item;
            return true;
        }
    }
}
