namespace Clara.Engine.Tokenization.SentencePiece;

/// <summary>
/// The pieces of a SentencePiece model, split as sentencepiece's ModelInterface splits them: NORMAL, USER_DEFINED
/// and UNUSED pieces take part in segmentation; UNKNOWN, CONTROL and BYTE pieces are reserved (found by
/// <see cref="PieceToId"/> but never produced by merging or by the lattice).
/// </summary>
internal sealed class SentencePieceVocabulary
{
    private readonly Dictionary<string, int> _segmentable = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _reserved = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _segmentableBySpan;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _reservedBySpan;

    public SentencePieceVocabulary(SentencePieceModelData model, string path)
    {
        int count = model.Pieces.Count;
        Pieces = new string[count];
        Scores = new float[count];
        Types = new PieceType[count];
        var userDefined = new List<string>();
        var byteIds = new int[256];
        Array.Fill(byteIds, -1);
        int unknown = -1;
        for (int id = 0; id < count; id++)
        {
            var piece = model.Pieces[id];
            Pieces[id] = piece.Text;
            Scores[id] = piece.Score;
            Types[id] = piece.Type;
            bool segmentable = piece.Type is PieceType.Normal or PieceType.UserDefined or PieceType.Unused;
            if (!(segmentable ? _segmentable : _reserved).TryAdd(piece.Text, id))
                throw new InvalidDataException($"{path}: pieces[{id}] '{piece.Text}' is already defined");
            if (segmentable) MaxPieceLength = Math.Max(MaxPieceLength, piece.Text.Length);
            if (piece.Type == PieceType.UserDefined) userDefined.Add(piece.Text);
            if (piece.Type == PieceType.Unknown)
                unknown = unknown < 0 ? id : throw new InvalidDataException($"{path}: pieces[{id}] is a second unknown piece (the first is {unknown})");
            if (piece.Type == PieceType.Byte)
            {
                if (!BytePiece.TryParse(piece.Text, out byte b))
                    throw new InvalidDataException($"{path}: pieces[{id}] '{piece.Text}' is a byte piece but not <0xHH>");
                byteIds[b] = id;
            }
        }
        UnknownId = unknown >= 0 ? unknown : throw new InvalidDataException($"{path}: the model has no unknown piece");
        if (model.ByteFallback)
        {
            int missing = Array.IndexOf(byteIds, -1);
            if (missing >= 0) throw new InvalidDataException($"{path}: byte_fallback is set but the byte piece {BytePiece.Of((byte)missing)} is missing");
            ByteIds = byteIds;
        }
        _alsoReserved = new bool[count];
        foreach (var (text, id) in _segmentable) _alsoReserved[id] = _reserved.ContainsKey(text);
        _segmentableBySpan = _segmentable.GetAlternateLookup<ReadOnlySpan<char>>();
        _reservedBySpan = _reserved.GetAlternateLookup<ReadOnlySpan<char>>();
        UserDefined = new UserDefinedMatcher(userDefined);
    }

    private readonly bool[] _alsoReserved;

    /// <summary>Whether a segmentable piece's text is also a reserved piece's, so <see cref="PieceToId"/> answers the reserved id.</summary>
    public bool IsAlsoReserved(int id) => _alsoReserved[id];

    public string[] Pieces { get; }
    public float[] Scores { get; }
    public PieceType[] Types { get; }
    public int Count => Pieces.Length;
    public int UnknownId { get; }

    /// <summary>The id of each byte piece, when the model falls back to bytes; null otherwise.</summary>
    public int[]? ByteIds { get; }

    /// <summary>The longest segmentable piece, in UTF-16 chars.</summary>
    public int MaxPieceLength { get; }

    public UserDefinedMatcher UserDefined { get; }

    public IReadOnlyDictionary<string, int> Segmentable => _segmentable;

    /// <summary>A segmentable piece's id, −1 when <paramref name="text"/> is none.</summary>
    public int SegmentableId(ReadOnlySpan<char> text) => _segmentableBySpan.TryGetValue(text, out int id) ? id : -1;

    /// <summary>sentencepiece's PieceToId: reserved pieces first, then segmentable ones, else the unknown id.</summary>
    public int PieceToId(ReadOnlySpan<char> text) =>
        _reservedBySpan.TryGetValue(text, out int id) ? id : _segmentableBySpan.TryGetValue(text, out id) ? id : UnknownId;

    /// <summary>All pieces (segmentable and reserved): content → id, as Hugging Face lists the vocabulary.</summary>
    public IReadOnlyDictionary<string, int> All() =>
        _segmentable.Concat(_reserved).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
}

/// <summary>Longest match of the USER_DEFINED pieces at a position (sentencepiece's PrefixMatcher).</summary>
internal sealed class UserDefinedMatcher
{
    private readonly Dictionary<char, string[]> _byFirstChar;

    public UserDefinedMatcher(IEnumerable<string> symbols) =>
        _byFirstChar = symbols.GroupBy(s => s[0]).ToDictionary(g => g.Key, g => g.OrderByDescending(s => s.Length).ToArray());

    public bool IsEmpty => _byFirstChar.Count == 0;

    /// <returns>The length of the longest symbol starting <paramref name="text"/>, 0 when none does.</returns>
    public int Match(ReadOnlySpan<char> text)
    {
        if (_byFirstChar.Count == 0 || text.IsEmpty || !_byFirstChar.TryGetValue(text[0], out var candidates)) return 0;
        foreach (var symbol in candidates)
            if (text.StartsWith(symbol, StringComparison.Ordinal)) return symbol.Length;
        return 0;
    }
}
