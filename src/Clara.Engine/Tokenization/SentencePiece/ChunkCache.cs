namespace Clara.Engine.Tokenization.SentencePiece;

/// <summary>
/// The ids of chunks of normalized text already encoded (one per thread and processor). Text repeats its words,
/// so most chunks are found here and never reach the BPE. Bounded: at <see cref="MaxEntries"/> entries it starts
/// again empty; only chunks up to <see cref="MaxChunkLength"/> characters are kept. sentencepiece has no such
/// cache; the ids are the same with or without it.
/// </summary>
internal sealed class ChunkCache
{
    public const int MaxChunkLength = 64;
    public const int MaxEntries = 1 << 15;

    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Entry>.AlternateLookup<ReadOnlySpan<char>> _bySpan;

    public ChunkCache() => _bySpan = _entries.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <param name="Ids">The chunk's ids when no unknown piece precedes it.</param>
    /// <param name="StartsUnknown">Its first id is an unknown piece that joins a preceding one (no byte fallback).</param>
    /// <param name="EndsUnknown">Its last piece is unknown.</param>
    public sealed record Entry(int[] Ids, bool StartsUnknown, bool EndsUnknown);

    public int Count => _entries.Count;

    public void Clear() => _entries.Clear();

    public bool TryGet(ReadOnlySpan<char> chunk, out Entry entry) => _bySpan.TryGetValue(chunk, out entry!);

    public Entry Add(ReadOnlySpan<char> chunk, ReadOnlySpan<int> ids, bool startsUnknown, bool endsUnknown)
    {
        if (_entries.Count >= MaxEntries) _entries.Clear();
        var entry = new Entry(ids.ToArray(), startsUnknown, endsUnknown);
        _bySpan[chunk] = entry;
        return entry;
    }
}
