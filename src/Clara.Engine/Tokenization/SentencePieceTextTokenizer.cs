using Clara.Engine.Tokenization.SentencePiece;
using Clara.Engine.Tokenization.Streaming;

namespace Clara.Engine.Tokenization;

/// <summary>
/// A SentencePiece model (<c>tokenizer.model</c>) through the engine's own port of sentencepiece's encoder
/// (<see cref="SentencePieceProcessor"/>), plus the directory's added tokens.
/// </summary>
internal sealed class SentencePieceTextTokenizer : ITextTokenizer
{
    private readonly SentencePieceProcessor _model;
    private readonly AddedTokenVocabulary _added;
    private readonly string _path;

    private SentencePieceTextTokenizer(SentencePieceProcessor model, AddedTokenVocabulary added, string path)
    {
        _model = model;
        _added = added;
        _path = path;
        VocabSize = Math.Max(model.Vocabulary.Count, added.MaxId + 1);
    }

    /// <exception cref="InvalidDataException">The file is not a SentencePiece model.</exception>
    /// <exception cref="NotSupportedException">The model asks for something the engine does not implement (named in the message).</exception>
    public static SentencePieceTextTokenizer Load(string modelPath, TokenizerDirectoryConfig config)
    {
        // Read first, so that every failure of the parse below is about the content, not the file system.
        var bytes = File.ReadAllBytes(modelPath);
        var model = SentencePieceProcessor.Load(bytes, modelPath);
        var vocabulary = model.Vocabulary;
        string unk = vocabulary.Pieces[vocabulary.UnknownId];
        string? bos = model.BosPiece, eos = model.EosPiece;
        var added = AddedTokenVocabulary.Build(config, vocabulary.All(), [unk, bos, eos], bos, eos, onePass: true);
        return new SentencePieceTextTokenizer(model, added, modelPath);
    }

    /// <summary>The model's processor (the benchmark sets its strategy).</summary>
    internal SentencePieceProcessor Processor => _model;

    public IReadOnlyDictionary<string, int> SpecialTokens => _added.SpecialTokens;
    public int? BosId => _added.BosId;
    public int? EosId => _added.EosId;
    public int VocabSize { get; }

    public int[] Encode(string text) => _added.Encode(text, int.MaxValue, EncodePiece);

    public int[] Encode(string text, int maxTokens) => _added.Encode(text, maxTokens, EncodePiece);

    private void EncodePiece(string piece, bool startsText, int budget, List<int> ids)
    {
        if (budget == int.MaxValue) _model.Encode(piece, ids);
        else PrefixEncoder.Encode(_model, piece, budget, ids);
    }

    public string Decode(IEnumerable<int> ids) => _added.Decode(ids, VocabSize, run =>
    {
        foreach (int id in run) CheckModelId(id);
        return _model.Decode(run);
    });

    public IncrementalDetokenizer DecodeStream()
    {
        var work = new DecodeWork();
        return new IncrementalDetokenizer(new AddedTokenRunStream(_added, VocabSize, CheckModelId, () => _model.StartRun(work)), work);
    }

    private void CheckModelId(int id)
    {
        if (id >= _model.Vocabulary.Count)
            throw new ArgumentOutOfRangeException("ids", id, $"token id {id} is neither a piece of {_path} nor an added token");
    }

    public string IdToToken(int id) =>
        _added.ContentOf(id) ?? ((uint)id < (uint)_model.Vocabulary.Count ? _model.Vocabulary.Pieces[id]
            : throw new ArgumentOutOfRangeException(nameof(id), id, $"token id {id} is neither a piece of {_path} nor an added token"));
}
