using Microsoft.ML.Tokenizers;

namespace Clara.Engine.Tokenization;

/// <summary>A SentencePiece model (<c>tokenizer.model</c>) through Microsoft.ML.Tokenizers, plus the directory's added tokens.</summary>
internal sealed class SentencePieceTextTokenizer : ITextTokenizer
{
    private readonly SentencePieceTokenizer _model;
    private readonly AddedTokenVocabulary _added;

    private SentencePieceTextTokenizer(SentencePieceTokenizer model, AddedTokenVocabulary added)
    {
        _model = model;
        _added = added;
        VocabSize = Math.Max(model.Vocabulary.Count, added.MaxId + 1);
    }

    public static SentencePieceTextTokenizer Load(string modelPath, TokenizerDirectoryConfig config)
    {
        // Read first, so that every failure of the parse below is about the content, not the file system.
        var bytes = File.ReadAllBytes(modelPath);
        SentencePieceTokenizer model;
        try
        {
            // No BOS/EOS from the model: ITextTokenizer.Encode adds no special tokens; callers add the ids.
            model = LlamaTokenizer.Create(new MemoryStream(bytes, writable: false), addBeginOfSentence: false, addEndOfSentence: false);
        }
        catch (Exception e)
        {
            throw new InvalidDataException($"{modelPath}: not a SentencePiece BPE model this engine can read ({e.Message})", e);
        }
        var added = AddedTokenVocabulary.Build(config, model.Vocabulary,
            [model.UnknownToken, model.BeginningOfSentenceToken, model.EndOfSentenceToken],
            model.BeginningOfSentenceToken, model.EndOfSentenceToken);
        return new SentencePieceTextTokenizer(model, added);
    }

    public IReadOnlyDictionary<string, int> SpecialTokens => _added.SpecialTokens;
    public int? BosId => _added.BosId;
    public int? EosId => _added.EosId;
    public int VocabSize { get; }

    public int[] Encode(string text) => _added.Encode(text, (segment, _, ids) =>
        ids.AddRange(_model.EncodeToIds(segment.Span, addBeginningOfSentence: false, addEndOfSentence: false)));

    public string Decode(IEnumerable<int> ids) => _added.Decode(ids, VocabSize, run =>
    {
        foreach (int id in run)
            if (id >= _model.Vocabulary.Count)
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"token id {id} is neither a SentencePiece piece nor an added token");
        return _model.Decode(run, considerSpecialTokens: false);
    });
}
