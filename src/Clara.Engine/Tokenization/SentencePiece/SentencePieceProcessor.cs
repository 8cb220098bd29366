using System.Runtime.InteropServices;

namespace Clara.Engine.Tokenization.SentencePiece;

/// <summary>
/// One <c>tokenizer.model</c> as sentencepiece's SentencePieceProcessor runs it: normalize, segment (BPE or
/// unigram), then the unknown pieces — bytes when the model falls back to bytes, otherwise one unknown id for a
/// run of them. What the engine does not implement is refused at load with the field that asks for it.
/// </summary>
internal sealed class SentencePieceProcessor : IExactCuts
{
    private readonly SentencePieceNormalizer _normalizer;
    private readonly ISegmenter _segmenter;
    private readonly SentencePieceDecoder _decoder;

    private SentencePieceProcessor(SentencePieceModelData model, string path)
    {
        Vocabulary = new SentencePieceVocabulary(model, path);
        _normalizer = new SentencePieceNormalizer(model.Normalizer, Vocabulary.UserDefined);
        _segmenter = model.Model == SegmentationModel.Bpe ? new BpeSegmenter(Vocabulary) : new UnigramSegmenter(Vocabulary);
        _decoder = new SentencePieceDecoder(Vocabulary, model.Normalizer, model.UnknownSurface ?? SentencePieceDecoder.DefaultUnknownSurface);
        Model = model.Model;
        // sentencepiece's bos_id()/eos_id(): the trainer's bos/eos piece, when the model has it.
        BosPiece = Vocabulary.PieceToId(model.BosPiece) != Vocabulary.UnknownId ? model.BosPiece : null;
        EosPiece = Vocabulary.PieceToId(model.EosPiece) != Vocabulary.UnknownId ? model.EosPiece : null;
        _joinedPairs = _segmenter is BpeSegmenter { HasUnusedPieces: true } ? null : CharPairSet.AdjacentIn(Vocabulary.Segmentable.Keys);
    }

    public SentencePieceVocabulary Vocabulary { get; }
    public SegmentationModel Model { get; }
    public string? BosPiece { get; }
    public string? EosPiece { get; }

    /// <summary>
    /// Every pair of adjacent characters inside a segmentable piece; null when no cut is exact: BPE models with
    /// UNUSED pieces (splitting one back uses the last place in the whole text where it was formed).
    /// </summary>
    private readonly CharPairSet? _joinedPairs;

    private readonly ThreadLocal<Workspace> _workspace = new(() => new Workspace());

    /// <summary>
    /// Whether encoding text[..cut] and then text[cut..] (<see cref="EncodeContinuation"/>) gives exactly the ids of
    /// the whole text. That holds when no piece contains the two characters around the cut. BPE: no merge can then
    /// join the sides, and merges on one side never depend on the other. Unigram: every path of the lattice passes
    /// through the cut, so the best path is the best path to it followed by the best path from it; the second part
    /// starts from the first part's score (<see cref="EncodeCarry.PathScore"/>), so its float sums, and the choice
    /// between nearly equal paths, are those of the whole text. The normalizer must also treat the cut as an
    /// ordinary position (no space folding across it, no surrogate pair split).
    /// </summary>
    public bool IsExactCut(ReadOnlySpan<char> text, int cut)
    {
        if (_joinedPairs is null || cut <= 0 || cut >= text.Length) return false;
        char before = text[cut - 1], after = text[cut];
        if (char.IsSurrogate(before) || char.IsSurrogate(after)) return false;  // pairs, and lone ones that become U+FFFD
        if (_normalizer.Settings.RemoveExtraWhitespaces && before is ' ' or SentencePieceNormalizer.SpaceSymbol) return false;
        return !_joinedPairs.Contains(Escaped(before), Escaped(after));
    }

    private char Escaped(char c) => c == ' ' && _normalizer.Settings.EscapeWhitespaces ? SentencePieceNormalizer.SpaceSymbol : c;

    public static SentencePieceProcessor Load(byte[] bytes, string path)
    {
        var model = SentencePieceModelFile.Read(bytes, path);
        if (model.Model is not (SegmentationModel.Bpe or SegmentationModel.Unigram))
            throw new NotSupportedException($"{path}: trainer_spec.model_type {model.Model} is not supported (only BPE and UNIGRAM)");
        if (model.Normalizer.HasCharsMap)
            throw new NotSupportedException(
                $"{path}: normalizer_spec '{model.Normalizer.Name}' has a precompiled character map, which is not supported (only the identity rule of Llama/Mistral)");
        if (model.HasDenormalizer)
            throw new NotSupportedException($"{path}: denormalizer_spec has a precompiled character map, which is not supported");
        if (model.TreatWhitespaceAsSuffix)
            throw new NotSupportedException($"{path}: trainer_spec.treat_whitespace_as_suffix is not supported");
        return new SentencePieceProcessor(model, path);
    }

    /// <summary>Appends the ids of <paramref name="text"/> (no BOS/EOS).</summary>
    public void Encode(ReadOnlySpan<char> text, List<int> ids)
    {
        var carry = new EncodeCarry();
        AppendIds(_normalizer.Normalize(text), ids, ref carry);
    }

    /// <summary>
    /// Appends the ids of <paramref name="text"/> as the continuation of a text cut where <see cref="IsExactCut"/>
    /// holds: no dummy prefix and no removal of its leading space.
    /// </summary>
    public void EncodeContinuation(ReadOnlySpan<char> text, List<int> ids, ref EncodeCarry carry) =>
        AppendIds(_normalizer.NormalizeContinuation(text), ids, ref carry);

    public void EncodeStart(ReadOnlySpan<char> text, List<int> ids, ref EncodeCarry carry) =>
        AppendIds(_normalizer.Normalize(text), ids, ref carry);

    public string Decode(IReadOnlyList<int> ids) => _decoder.Decode(ids);

    /// <summary><see cref="Decode"/> of one run of ids, fed one id at a time.</summary>
    public SentencePieceRunStream StartRun(Streaming.DecodeWork work) => _decoder.StartRun(work);

    /// <summary>How BPE text is encoded; the ids are the same either way (the benchmark compares the three).</summary>
    internal EncodeStrategy Strategy { get; set; } = EncodeStrategy.CachedChunks;

    /// <summary>Empties the calling thread's chunk cache (the benchmark measures from a cold cache).</summary>
    internal void ClearChunkCache() => _workspace.Value!.Cache.Clear();

    private void AppendIds(string normalized, List<int> ids, ref EncodeCarry carry)
    {
        var workspace = _workspace.Value!;
        if (_joinedPairs is null || Model != SegmentationModel.Bpe || Strategy == EncodeStrategy.WholeText)
        {
            AppendSegmented(normalized, ids, ref carry, workspace.Segments);
            return;
        }
        // BPE never merges across two characters that no piece holds side by side, so the text is encoded chunk
        // by chunk between such cuts (words, mostly), and a chunk seen before takes its ids from the cache.
        var joined = _joinedPairs;
        int start = 0;
        for (int i = 1; i <= normalized.Length; i++)
        {
            if (i < normalized.Length)
            {
                char before = normalized[i - 1], after = normalized[i];
                if (char.IsSurrogate(before) || char.IsSurrogate(after) || joined.Contains(before, after)) continue;
            }
            AppendChunk(normalized.AsSpan(start, i - start), ids, ref carry, workspace);
            start = i;
        }
    }

    private void AppendChunk(ReadOnlySpan<char> chunk, List<int> ids, ref EncodeCarry carry, Workspace workspace)
    {
        if (chunk.Length > ChunkCache.MaxChunkLength || Strategy != EncodeStrategy.CachedChunks)
        {
            AppendSegmented(chunk, ids, ref carry, workspace.Segments);
            return;
        }
        if (!workspace.Cache.TryGet(chunk, out var cached))
        {
            var chunkIds = workspace.ChunkIds;
            chunkIds.Clear();
            var chunkCarry = new EncodeCarry();
            AppendSegmented(chunk, chunkIds, ref chunkCarry, workspace.Segments);
            bool endsUnknown = chunkCarry.PreviousUnknown;
            // Without byte fallback an unknown piece is the unknown id, and a run of them (across chunks too) is one.
            bool startsUnknown = Vocabulary.ByteIds is null && chunkIds.Count > 0 && chunkIds[0] == Vocabulary.UnknownId;
            cached = workspace.Cache.Add(chunk, CollectionsMarshal.AsSpan(chunkIds), startsUnknown, endsUnknown);
        }
        ids.AddRange(cached.Ids.AsSpan(carry.PreviousUnknown && cached.StartsUnknown ? 1 : 0));
        carry.PreviousUnknown = cached.EndsUnknown;
    }

    private void AppendSegmented(ReadOnlySpan<char> normalized, List<int> ids, ref EncodeCarry carry, List<Segment> segments)
    {
        segments.Clear();
        _segmenter.Segment(normalized, segments, ref carry.PathScore);
        ref bool previousUnknown = ref carry.PreviousUnknown;
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var segment in CollectionsMarshal.AsSpan(segments))
        {
            bool unknown = segment.Id == Vocabulary.UnknownId;
            if (unknown && Vocabulary.ByteIds is { } byteIds)
            {
                var piece = normalized.Slice(segment.Start, segment.Length);
                while (!piece.IsEmpty)
                {
                    System.Text.Rune.DecodeFromUtf16(piece, out var rune, out int width);
                    int count = rune.EncodeToUtf8(utf8);
                    for (int b = 0; b < count; b++) ids.Add(byteIds[utf8[b]]);
                    piece = piece[width..];
                }
            }
            else if (!(unknown && previousUnknown))
            {
                // sentencepiece merges a run of unknown pieces into one, so the run is one unknown id.
                ids.Add(segment.Id);
            }
            previousUnknown = unknown;
        }
        // The list is the thread's: a long text's segments are not kept after it.
        if (segments.Capacity > Workspace.MaxKeptSegments)
        {
            segments.Clear();
            segments.Capacity = Workspace.MaxKeptSegments;
        }
    }

    /// <summary>Per-thread buffers and chunk cache (the processor is shared between threads).</summary>
    private sealed class Workspace
    {
        public const int MaxKeptSegments = 1 << 16;

        public readonly List<Segment> Segments = new(256);
        public readonly List<int> ChunkIds = new(64);
        public readonly ChunkCache Cache = new();
    }

}

/// <summary>How a BPE processor encodes text (<see cref="SentencePieceProcessor.Strategy"/>).</summary>
internal enum EncodeStrategy
{
    /// <summary>Chunks between exact cuts, each looked up in the per-thread chunk cache first (the default).</summary>
    CachedChunks,

    /// <summary>Chunks between exact cuts, each through the BPE.</summary>
    Chunks,

    /// <summary>The whole normalized text through one BPE run, as sentencepiece does.</summary>
    WholeText,
}
