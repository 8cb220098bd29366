using System.Text.RegularExpressions;
using Clara.Engine.Tokenization.Streaming;
using Microsoft.ML.Tokenizers;

namespace Clara.Engine.Tokenization;

/// <summary>
/// A GPT-2-style byte-level <c>tokenizer.json</c> through Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/>
/// (ByteLevel mode: UTF-8 bytes mapped to printable characters, words split by the file's regex).
/// </summary>
internal sealed class ByteLevelBpeTextTokenizer : ITextTokenizer
{
    private readonly BpeTokenizer _bpe;
    private readonly ByteLevelLayout _layout;
    private readonly Regex _words;
    private readonly AddedTokenVocabulary _added;
    private readonly bool[] _isModelId;
    private readonly string?[] _tokenOfId;
    private readonly string _path;

    public ByteLevelBpeTextTokenizer(BpeTokenizer bpe, HfBpeModel model, ByteLevelLayout layout, AddedTokenVocabulary added, string path)
    {
        _bpe = bpe;
        _layout = layout;
        _words = WordPattern(layout);
        _added = added;
        _path = path;
        VocabSize = Math.Max(model.Vocabulary.Values.DefaultIfEmpty(-1).Max() + 1, added.MaxId + 1);
        _isModelId = new bool[VocabSize];
        _tokenOfId = new string?[VocabSize];
        foreach (var (token, id) in model.Vocabulary)
        {
            _isModelId[id] = true;
            _tokenOfId[id] = token;
        }
    }

    public static PreTokenizer SplitBy(ByteLevelLayout layout) => new RegexPreTokenizer(WordPattern(layout), specialTokens: null);

    private static Regex WordPattern(ByteLevelLayout layout) => new(layout.SplitPattern, RegexOptions.CultureInvariant);

    public IReadOnlyDictionary<string, int> SpecialTokens => _added.SpecialTokens;
    public int? BosId => _added.BosId;
    public int? EosId => _added.EosId;
    public int VocabSize { get; }

    public int[] Encode(string text) => _added.Encode(text, int.MaxValue, EncodePiece);

    public int[] Encode(string text, int maxTokens) => _added.Encode(text, maxTokens, EncodePiece);

    private void EncodePiece(string piece, bool startsText, int budget, List<int> ids)
    {
        // Hugging Face's add_prefix_space: a segment not starting with a space gets one, so its first word is
        // encoded like a word in the middle of a sentence.
        string input = _layout.AddPrefixSpace && (piece.Length == 0 || piece[0] != ' ') ? " " + piece : piece;
        if (budget == int.MaxValue)
        {
            ids.AddRange(_bpe.EncodeToIds(input, considerPreTokenization: true, considerNormalization: false));
            return;
        }
        // A bounded encode takes the file's words one at a time (the same matches the pre-tokenizer makes), so a
        // long document is split and merged only as far as the kept tokens reach. No merge crosses a word.
        int target = ids.Count + budget;
        foreach (var word in _words.EnumerateMatches(input))
        {
            if (ids.Count >= target) break;
            if (word.Length > ExactCutSearch.MaxUncutCharacters)
                throw ExactCutSearch.NoCut(input.Length, word.Index, word.Index + word.Length);
            ids.AddRange(_bpe.EncodeToIds(input.AsSpan(word.Index, word.Length), considerPreTokenization: false, considerNormalization: false));
        }
    }

    public string IdToToken(int id) =>
        _added.ContentOf(id) ?? ((uint)id < (uint)_tokenOfId.Length ? _tokenOfId[id] : null)
        ?? throw new ArgumentOutOfRangeException(nameof(id), id, $"token id {id} is neither in the vocabulary of {_path} nor an added token");

    public string Decode(IEnumerable<int> ids) => _added.Decode(ids, VocabSize, run =>
    {
        foreach (int id in run) CheckModelId(id);
        return DecodeRun(run);
    });

    public IncrementalDetokenizer DecodeStream()
    {
        var work = new DecodeWork();
        return new IncrementalDetokenizer(
            new AddedTokenRunStream(_added, VocabSize, CheckModelId, () => new ByteLevelRunStream(id => _tokenOfId[id]!, DecodeRun, work)), work);
    }

    private string DecodeRun(List<int> run) => _bpe.Decode(run, considerSpecialTokens: false);

    private void CheckModelId(int id)
    {
        if (!_isModelId[id])
            throw new ArgumentOutOfRangeException("ids", id, $"token id {id} is neither in the vocabulary of {_path} nor an added token");
    }
}
