using Clara.Engine.Backends;
using Clara.Engine.Models;
using Clara.Engine.Tokenization;

namespace Clara.Engine.Pipeline;

/// <summary>The answer to one question: the generated ids, the chosen documents (best first) and every score.</summary>
public sealed record ClaraAnswer(int[] AnswerIds, int[] TopK, float[] Scores, float[] Query);

/// <summary>
/// A CLaRa directory (spec §7) ready to run: one frozen base, the compressor, query-reasoner and generator
/// adapters on it, and clara.json. Every stage is exposed on its own so it can be checked against another
/// implementation (spec §9).
/// </summary>
public sealed class ClaraModel : IDisposable
{
    public const string EncoderAdapter = "encoder_adapter";
    public const string QueryAdapter = "query_reasoner_adapter";
    public const string DecoderAdapter = "decoder_adapter";

    private readonly Lazy<string> _fingerprint;

    private ClaraModel(DecoderModel decoder, ClaraConfig config, ITextTokenizer? tokenizer)
    {
        Decoder = decoder;
        Config = config;
        Tokenizer = tokenizer;
        Compressor = new Compressor(decoder, config);
        _fingerprint = new Lazy<string>(() => ModelFingerprint.Compute(decoder.Source));
    }

    public DecoderModel Decoder { get; }
    public ClaraConfig Config { get; }
    public Compressor Compressor { get; }

    /// <summary>The model's tokenizer when its directory has tokenizer files; otherwise every input must be token ids.</summary>
    public ITextTokenizer? Tokenizer { get; }

    /// <summary>Identifies the space its memories live in (see <see cref="ModelFingerprint"/>); computed on first use.</summary>
    public string Fingerprint => _fingerprint.Value;

    /// <summary>Opens a CLaRa directory (spec §7) or an engine-native file that carries clara.json in its metadata.</summary>
    public static ClaraModel Load(string directory, IBackend? backend = null)
    {
        bool isFile = File.Exists(directory);
        var config = isFile ? null : ClaraConfig.Load(Path.Combine(directory, "clara.json"));
        var decoder = DecoderModel.Load(directory, backend, out var embedded);
        try
        {
            config ??= embedded is not null
                ? ClaraConfig.Parse(embedded)
                : throw new InvalidDataException($"{directory} carries no clara.json: convert a CLaRa directory or release, not a plain model");
            config.ValidateAgainst(decoder.Config.VocabSize, Path.Combine(directory, "clara.json"));
            var missing = new[] { EncoderAdapter, QueryAdapter, DecoderAdapter }.Where(a => !decoder.AdapterNames.Contains(a)).ToList();
            if (missing.Count > 0)
                throw new InvalidDataException($"{directory}: missing adapter folder(s) adapters/{string.Join(", adapters/", missing)}");
            var tokenizer = !isFile && TokenizerLoader.Exists(directory) ? TokenizerLoader.Load(directory) : null;
            if (tokenizer is not null && tokenizer.VocabSize > decoder.Config.VocabSize)
                throw new InvalidDataException($"{directory}: the tokenizer produces ids up to {tokenizer.VocabSize - 1}, beyond the model's vocabulary of {decoder.Config.VocabSize}");
            return new ClaraModel(decoder, config, tokenizer);
        }
        catch
        {
            decoder.Dispose();
            throw;
        }
    }

    /// <summary>§2: memory [N, n_mem, hidden] and the alignment loss of each document.</summary>
    public CompressedDocuments Compress(IReadOnlyList<IReadOnlyList<int>> documents, int batchSize = 8,
        IProgress<int>? progress = null, CancellationToken cancellation = default) =>
        Compressor.Compress(documents, EncoderAdapter, batchSize, progress, cancellation);

    /// <summary>§3: the question's memory-position states, flattened to n_mem·hidden.</summary>
    public float[] EncodeQuery(IReadOnlyList<int> question) => Compressor.Compress([question], QueryAdapter).Memory;

    /// <summary>§3: cos(q, flat(D_i)) in fp32, on the model's backend, a bounded chunk of documents at a time.</summary>
    public float[] Score(float[] query, CompressedDocuments documents) => ChunkedScorer.Score(Decoder.Backend, query, documents);

    /// <summary>§4 forward: the k best documents, best first (τ from clara.json unless given).</summary>
    public int[] SelectTopK(ReadOnlySpan<float> scores, int? k = null, float? temperature = null) =>
        TopKSelection.Select(scores, k ?? Config.TopK, temperature ?? Config.Temperature);

    /// <summary>§5: answers for prompts whose slots receive the given documents' memories.</summary>
    public IReadOnlyList<int[]> Generate(IReadOnlyList<(IReadOnlyList<int> Prompt, int[] Selected)> requests, CompressedDocuments documents,
        GenerationOptions options, Action<int, int>? onToken = null, CancellationToken cancellation = default)
    {
        var prompts = requests.Select(r => new GenerationPrompt(r.Prompt, r.Selected.Select(documents.Document).ToArray())).ToList();
        return new MemoryGenerator(Decoder, Config, DecoderAdapter).Generate(prompts, options, onToken, cancellation);
    }

    /// <summary>Token ids of <paramref name="text"/>; refuses when the model has no tokenizer.</summary>
    public int[] Encode(string text) =>
        (Tokenizer ?? throw new InvalidOperationException($"{Decoder.Source} has no tokenizer files (tokenizer.model or tokenizer.json): pass token ids instead")).Encode(text);

    public string? Decode(IEnumerable<int> ids) => Tokenizer?.Decode(ids);

    /// <summary>
    /// The generator prompt with k slots: the chat template and the reference's wording when the model has a
    /// tokenizer with a BOS token, else <see cref="MemoryPrompt.Minimal"/>.
    /// </summary>
    public int[] BuildPrompt(IReadOnlyList<int> question, int k) =>
        PromptBuilder()?.Build(question, k).Ids ?? MemoryPrompt.Minimal(Config, question, k);

    /// <summary>
    /// The generator prompt for a question given as text: as the reference does, the whole chat turn is rendered
    /// and tokenized, so the question shares its stretch of text with the "Question:" header and " [/INST]".
    /// </summary>
    public int[] BuildPrompt(string question, int k) =>
        PromptBuilder()?.Build(question, k).Ids ?? MemoryPrompt.Minimal(Config, Encode(question), k);

    private ClaraPromptBuilder? PromptBuilder() =>
        Tokenizer is { BosId: not null } ? new ClaraPromptBuilder(new MistralChatTemplate(Tokenizer), Config.MemTokenIds, Config.SepTokenId) : null;

    /// <summary>The whole pipeline for one question given as text.</summary>
    public ClaraAnswer Ask(string question, CompressedDocuments documents, GenerationOptions options, int? k = null,
        Action<int, int>? onToken = null, CancellationToken cancellation = default) =>
        Ask(Encode(question), documents, options, k, promptIds: BuildPrompt(question, k ?? Config.TopK), temperature: null, onToken, cancellation);

    /// <summary>The whole pipeline for one question over already compressed candidates.</summary>
    public ClaraAnswer Ask(IReadOnlyList<int> question, CompressedDocuments documents, GenerationOptions options,
        int? k = null, IReadOnlyList<int>? promptIds = null, float? temperature = null, Action<int, int>? onToken = null,
        CancellationToken cancellation = default)
    {
        var query = EncodeQuery(question);
        var scores = Score(query, documents);
        var topk = SelectTopK(scores, k, temperature);
        var prompt = promptIds ?? BuildPrompt(question, topk.Length);
        var answer = Generate([(prompt, topk)], documents, options, onToken, cancellation)[0];
        return new ClaraAnswer(answer, topk, scores, query);
    }

    public void Dispose() => Decoder.Dispose();
}
