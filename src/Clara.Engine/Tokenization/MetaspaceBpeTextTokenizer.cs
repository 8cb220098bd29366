using System.Text;
using Clara.Engine.Tokenization.Streaming;
using Microsoft.ML.Tokenizers;

namespace Clara.Engine.Tokenization;

/// <summary>
/// A SentencePiece-style <c>tokenizer.json</c> (Llama/Mistral): the "▁" layout and byte fallback are done here,
/// the merges by Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> over whole words. Hugging Face's BPE turns
/// each character missing from the vocabulary into its UTF-8 byte pieces (or the unknown token) before merging,
/// and no merge involves those pieces, so words are cut at such characters and the pieces written directly.
/// </summary>
internal sealed class MetaspaceBpeTextTokenizer : ITextTokenizer
{
    private readonly BpeTokenizer _bpe;
    private readonly HfBpeModel _model;
    private readonly MetaspaceLayout _layout;
    private readonly HfDecoderChain _decoder;
    private readonly AddedTokenVocabulary _added;
    private readonly string?[] _pieceOfId;
    private readonly int[]? _byteIds;
    private readonly int? _unknownId;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabularyBySpan;
    private readonly VocabularyPairCuts _cuts;
    private readonly string _path;

    public MetaspaceBpeTextTokenizer(BpeTokenizer bpe, HfTokenizerDefinition definition, MetaspaceLayout layout, AddedTokenVocabulary added, string path)
    {
        _bpe = bpe;
        _model = definition.Model;
        _layout = layout;
        _decoder = definition.Decoder;
        _added = added;
        _path = path;
        VocabSize = Math.Max(_model.Vocabulary.Values.DefaultIfEmpty(-1).Max() + 1, added.MaxId + 1);
        _pieceOfId = new string?[VocabSize];
        foreach (var (piece, id) in _model.Vocabulary) _pieceOfId[id] = piece;
        _unknownId = _model.UnknownToken is null ? null : _model.Vocabulary[_model.UnknownToken];
        _vocabularyBySpan = _model.Vocabulary.GetAlternateLookup<ReadOnlySpan<char>>();
        _cuts = new VocabularyPairCuts(_model.Vocabulary.Keys);
        if (_model.ByteFallback)
        {
            var byteIds = new int[256];
            bool complete = true;
            for (int b = 0; b < 256 && complete; b++) complete = _model.Vocabulary.TryGetValue(BytePiece.Of((byte)b), out byteIds[b]);
            // Hugging Face falls back to bytes only when every byte piece of the character exists; a vocabulary
            // without all 256 can never take that path for some character, so it falls back to UNK instead.
            _byteIds = complete ? byteIds : null;
        }
    }

    public IReadOnlyDictionary<string, int> SpecialTokens => _added.SpecialTokens;
    public int? BosId => _added.BosId;
    public int? EosId => _added.EosId;
    public int VocabSize { get; }

    public int[] Encode(string text) => _added.Encode(text, int.MaxValue, EncodePiece);

    public int[] Encode(string text, int maxTokens) => _added.Encode(text, maxTokens, EncodePiece);

    public string Decode(IEnumerable<int> ids) => _added.DecodeTokens(ids, VocabSize, IdToToken, _decoder.Decode);

    public IncrementalDetokenizer DecodeStream()
    {
        var work = new DecodeWork();
        return new IncrementalDetokenizer(new DecoderChainTokenStream(_added, VocabSize, IdToToken, _decoder.Stream(), work), work);
    }

    public string IdToToken(int id) =>
        _added.ContentOf(id) ?? ((uint)id < (uint)_pieceOfId.Length ? _pieceOfId[id] : null)
        ?? throw new ArgumentOutOfRangeException(nameof(id), id, $"token id {id} is neither in the vocabulary of {_path} nor an added token");

    /// <summary>Hugging Face's Prepend("▁") + Replace(" ", "▁") normalizer; Prepend leaves empty text empty.</summary>
    public static Func<string, string>? NormalizerOf(MetaspaceLayout layout) =>
        layout.IsNormalizer ? text => text.Length == 0 ? text : layout.Replacement + text.Replace(' ', layout.Replacement) : null;

    private void EncodePiece(string piece, bool startsText, int budget, List<int> ids)
    {
        // With the normalizer layout the stretch arrives normalized; the Metaspace pre-tokenizer runs here.
        string normalized = _layout.IsNormalizer ? piece : Normalize(piece, startsText);
        bool bounded = budget != int.MaxValue;
        int target = bounded ? ids.Count + budget : int.MaxValue;
        int wordStart = 0;
        bool lastWasUnknown = false;
        for (int i = 0; i < normalized.Length && ids.Count < target;)
        {
            // A lone surrogate decodes as U+FFFD (width 1), so malformed text still encodes.
            Rune.DecodeFromUtf16(normalized.AsSpan(i), out var rune, out int width);
            if (!_vocabularyBySpan.ContainsKey(normalized.AsSpan(i, width)))
            {
                if (i > wordStart) lastWasUnknown = false;  // known characters in between: nothing to fuse with
                EncodeWord(normalized.AsSpan(wordStart, i - wordStart), ids, target);
                lastWasUnknown = EncodeUnknown(rune, lastWasUnknown, ids);
                wordStart = i + width;
            }
            else if (_layout.Split && normalized[i] == _layout.Replacement && i > wordStart)
            {
                EncodeWord(normalized.AsSpan(wordStart, i - wordStart), ids, target);
                lastWasUnknown = false;
                wordStart = i;
            }
            else if (bounded && i - wordStart >= WordChunk && _cuts.IsExactCut(normalized.AsSpan(wordStart), i - wordStart))
            {
                // Without Split the whole text is one word: a bounded encode cuts it where no merge can join the
                // sides, so a long document is not merged whole to keep its first tokens.
                EncodeWord(normalized.AsSpan(wordStart, i - wordStart), ids, target);
                wordStart = i;
            }
            else if (bounded && i - wordStart > WordChunk + ExactCutSearch.MaxUncutCharacters)
            {
                throw ExactCutSearch.NoCut(normalized.Length, wordStart + WordChunk, i);
            }
            i += width;
        }
        EncodeWord(normalized.AsSpan(wordStart), ids, target);
    }

    /// <summary>A bounded encode cuts a long word into parts of at least this many characters.</summary>
    private const int WordChunk = 1024;

    /// <summary>Spaces become the marker; the marker is prepended as the layout says.</summary>
    private string Normalize(ReadOnlySpan<char> segment, bool startsText)
    {
        var text = segment.ToString().Replace(' ', _layout.Replacement);
        bool prepend = _layout.Prepend switch
        {
            PrependScheme.Always => true,
            PrependScheme.First => startsText,
            _ => false,
        };
        if (prepend && !_layout.PrependEvenAfterReplacement && text.Length > 0 && text[0] == _layout.Replacement) prepend = false;
        return prepend ? _layout.Replacement + text : text;
    }

    private void EncodeWord(ReadOnlySpan<char> word, List<int> ids, int target)
    {
        if (word.IsEmpty || ids.Count >= target) return;
        ids.AddRange(_bpe.EncodeToIds(word, considerPreTokenization: false, considerNormalization: false));
    }

    /// <returns>Whether an unknown-token id was emitted (fuse_unk merges the next one into it).</returns>
    private bool EncodeUnknown(Rune rune, bool lastWasUnknown, List<int> ids)
    {
        if (_byteIds is not null)
        {
            Span<byte> utf8 = stackalloc byte[4];
            int count = rune.EncodeToUtf8(utf8);
            foreach (byte b in utf8[..count]) ids.Add(_byteIds[b]);
            return false;
        }
        if (_unknownId is not int unk)
            throw new ArgumentException($"character U+{rune.Value:X4} is not in the vocabulary of {_path}, which has neither byte fallback nor an unknown token");
        if (!(lastWasUnknown && _model.FuseUnknown)) ids.Add(unk);
        return true;
    }
}
