using Microsoft.ML.Tokenizers;

namespace Clara.Engine.Tokenization;

/// <summary>
/// Loads the tokenizer of a model directory: <c>tokenizer.model</c> (SentencePiece) when present, otherwise
/// <c>tokenizer.json</c> (Hugging Face, BPE), with the added tokens every Hugging Face file lists.
/// </summary>
public static class TokenizerLoader
{
    public const string SentencePieceFile = "tokenizer.model";
    public const string HuggingFaceFile = TokenizerDirectoryConfig.TokenizerJson;

    /// <summary>Whether <paramref name="modelDirectory"/> holds a tokenizer file (callers without one need token ids).</summary>
    public static bool Exists(string modelDirectory) =>
        File.Exists(Path.Combine(modelDirectory, SentencePieceFile)) || File.Exists(Path.Combine(modelDirectory, HuggingFaceFile));

    /// <exception cref="FileNotFoundException">The directory has neither tokenizer file.</exception>
    /// <exception cref="NotSupportedException">tokenizer.json describes a model or layout this engine does not implement.</exception>
    /// <exception cref="InvalidDataException">A tokenizer file is malformed.</exception>
    public static ITextTokenizer Load(string modelDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelDirectory);
        if (!Directory.Exists(modelDirectory))
            throw new DirectoryNotFoundException($"model directory '{modelDirectory}' does not exist");
        var config = TokenizerDirectoryConfig.Read(modelDirectory);

        string sentencePiece = Path.Combine(modelDirectory, SentencePieceFile);
        if (File.Exists(sentencePiece)) return SentencePieceTextTokenizer.Load(sentencePiece, config);

        string huggingFace = Path.Combine(modelDirectory, HuggingFaceFile);
        if (File.Exists(huggingFace)) return LoadHuggingFace(huggingFace, config);

        throw new FileNotFoundException(
            $"no tokenizer in '{modelDirectory}': looked for {SentencePieceFile} (SentencePiece) and {HuggingFaceFile} (Hugging Face); " +
            "without one, give token ids instead of text", Path.Combine(modelDirectory, SentencePieceFile));
    }

    private static ITextTokenizer LoadHuggingFace(string path, TokenizerDirectoryConfig config)
    {
        var definition = HfTokenizerJson.Read(path);
        var model = definition.Model;
        var options = new BpeOptions(model.Vocabulary)
        {
            Merges = model.Merges,
            UnknownToken = model.UnknownToken,
            FuseUnknownTokens = model.FuseUnknown,
            ByteLevel = definition.Layout is ByteLevelLayout,
            PreTokenizer = definition.Layout is ByteLevelLayout byteLevel ? ByteLevelBpeTextTokenizer.SplitBy(byteLevel) : null,
        };
        BpeTokenizer bpe;
        try
        {
            bpe = BpeTokenizer.Create(options);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        var normalizer = definition.Layout is MetaspaceLayout metaspaceLayout ? MetaspaceBpeTextTokenizer.NormalizerOf(metaspaceLayout) : null;
        var added = AddedTokenVocabulary.Build(config, model.Vocabulary, [model.UnknownToken], modelBos: null, modelEos: null, normalizer);
        return definition.Layout switch
        {
            MetaspaceLayout metaspace => new MetaspaceBpeTextTokenizer(bpe, definition, metaspace, added, path),
            ByteLevelLayout layout => new ByteLevelBpeTextTokenizer(bpe, model, layout, added, path),
            var other => throw new NotSupportedException($"{path}: layout {other.GetType().Name} is not supported"),
        };
    }
}
