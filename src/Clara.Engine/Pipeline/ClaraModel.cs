using Clara.Engine.Backends;
using Clara.Engine.Models;
using Clara.Engine.Pipeline.Scheduling;
using Clara.Engine.Tokenization;

namespace Clara.Engine.Pipeline;

/// <summary>The answer to one question: the generated ids, the chosen documents (best first) and every score.</summary>
public sealed record ClaraAnswer(int[] AnswerIds, int[] TopK, float[] Scores, float[] Query);

/// <summary>
/// A CLaRa directory (spec §7) ready to run: one frozen base, the compressor, query-reasoner and generator
/// adapters on it, and clara.json. Every stage is exposed on its own so it can be checked against another
/// implementation (spec §9).
/// </summary>
/// <remarks>
/// Safe to share: one instance may serve any number of threads at once, and (with the default
/// <see cref="GenerationBatching.Exact"/>) every call gives the bits it gives when the calls run one after another.
/// Compression, query encoding and generation go through the model's <see cref="Scheduler"/>, which runs every
/// forward on one worker thread, batches the documents of concurrent callers into shared forwards, and bounds the
/// requests in flight; each generation owns its KV cache rows and its seeded sampler. Dispose it only once no call
/// is running.
/// </remarks>
public sealed class ClaraModel : IDisposable
{
    public const string EncoderAdapter = "encoder_adapter";
    public const string QueryAdapter = "query_reasoner_adapter";
    public const string DecoderAdapter = "decoder_adapter";

    private readonly Lazy<string> _fingerprint;

    private ClaraModel(DecoderModel decoder, ClaraConfig config, ITextTokenizer? tokenizer, SchedulerOptions? scheduling)
    {
        Decoder = decoder;
        Config = config;
        Tokenizer = tokenizer;
        Compressor = new Compressor(decoder, config);
        Scheduler = new ClaraScheduler(decoder, config, scheduling);
        _fingerprint = new Lazy<string>(() => ModelFingerprint.Compute(decoder.Source));
    }

    public DecoderModel Decoder { get; }
    public ClaraConfig Config { get; }
    public Compressor Compressor { get; }

    /// <summary>Runs this model's compressions and generations for every caller (see <see cref="SchedulerOptions"/>).</summary>
    public ClaraScheduler Scheduler { get; }

    /// <summary>The model's tokenizer when its directory has tokenizer files; otherwise every input must be token ids.</summary>
    public ITextTokenizer? Tokenizer { get; }

    /// <summary>Identifies the space its memories live in (see <see cref="ModelFingerprint"/>); computed on first use.</summary>
    public string Fingerprint => _fingerprint.Value;

    /// <summary>Opens the engine's own default model (see <see cref="DefaultModel"/>), copied next to the program by the build.</summary>
    public static ClaraModel LoadDefault(IBackend? backend = null, SchedulerOptions? scheduling = null) =>
        Load(DefaultModel.RequireDirectory(), backend, scheduling);

    /// <summary>Opens a CLaRa directory (spec §7) or an engine-native file that carries clara.json in its metadata.</summary>
    public static ClaraModel Load(string directory, IBackend? backend = null) => Load(directory, backend, scheduling: null);

    /// <summary>
    /// Opens a CLaRa directory or engine file with the given scheduling: queue bound, behaviour when full, batch sizes
    /// and whether generations are continuously batched (throughput) or decoded alone (bit-exact, the default).
    /// </summary>
    public static ClaraModel Load(string directory, IBackend? backend, SchedulerOptions? scheduling)
    {
        scheduling?.Validate();
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
            return new ClaraModel(decoder, config, tokenizer, scheduling);
        }
        catch
        {
            decoder.Dispose();
            throw;
        }
    }

    /// <summary>§2: memory [N, n_mem, hidden] and the alignment loss of each document.</summary>
    /// <param name="batchSize">
    /// Kept for source compatibility: the scheduler forms the batches (<see cref="SchedulerOptions.MaxCompressionBatch"/>
    /// documents, from every waiting caller), and a document's memory does not depend on its batch.
    /// </param>
    public CompressedDocuments Compress(IReadOnlyList<IReadOnlyList<int>> documents, int batchSize = 8,
        IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        return Wait(CompressAsync(documents, progress, cancellation));
    }

    /// <summary>§2 through the scheduler, without blocking the caller.</summary>
    public Task<CompressedDocuments> CompressAsync(IReadOnlyList<IReadOnlyList<int>> documents, IProgress<int>? progress = null,
        CancellationToken cancellation = default) =>
        Scheduler.CompressAsync(documents, EncoderAdapter, progress, cancellation);

    /// <summary>§3: the question's memory-position states, flattened to n_mem·hidden.</summary>
    public float[] EncodeQuery(IReadOnlyList<int> question) => Wait(EncodeQueryAsync(question));

    /// <summary>§3 through the scheduler, batched with other callers' questions.</summary>
    public async Task<float[]> EncodeQueryAsync(IReadOnlyList<int> question, CancellationToken cancellation = default) =>
        (await Scheduler.CompressAsync([question], QueryAdapter, cancellation: cancellation).ConfigureAwait(false)).Memory;

    /// <summary>§3: cos(q, flat(D_i)) in fp32, on the model's backend, a bounded chunk of documents at a time.</summary>
    public float[] Score(float[] query, CompressedDocuments documents) => ChunkedScorer.Score(Decoder.Backend, query, documents);

    /// <summary>§4 forward: the k best documents, best first (τ from clara.json unless given).</summary>
    public int[] SelectTopK(ReadOnlySpan<float> scores, int? k = null, float? temperature = null) =>
        TopKSelection.Select(scores, k ?? Config.TopK, temperature ?? Config.Temperature);

    /// <summary>§5: answers for prompts whose slots receive the given documents' memories.</summary>
    public IReadOnlyList<int[]> Generate(IReadOnlyList<(IReadOnlyList<int> Prompt, int[] Selected)> requests, CompressedDocuments documents,
        GenerationOptions options, Action<int, int>? onToken = null, CancellationToken cancellation = default) =>
        Wait(GenerateAsync(requests, documents, options, onToken, cancellation));

    /// <summary>§5 through the scheduler: each prompt is its own request; <paramref name="onToken"/> sees (prompt index, token).</summary>
    public async Task<IReadOnlyList<int[]>> GenerateAsync(IReadOnlyList<(IReadOnlyList<int> Prompt, int[] Selected)> requests,
        CompressedDocuments documents, GenerationOptions options, Action<int, int>? onToken = null, CancellationToken cancellation = default)
    {
        options.Validate();
        var prompts = requests.Select(r => new GenerationPrompt(r.Prompt, r.Selected.Select(documents.Document).ToArray())).ToList();
        var answers = prompts.Select((prompt, row) =>
            Scheduler.GenerateAsync(prompt, options, onToken is null ? null : token => onToken(row, token), cancellation)).ToList();
        return await Task.WhenAll(answers).ConfigureAwait(false);
    }

    /// <summary>Token ids of <paramref name="text"/>; refuses when the model has no tokenizer.</summary>
    public int[] Encode(string text) =>
        (Tokenizer ?? throw new InvalidOperationException($"{Decoder.Source} has no tokenizer files (tokenizer.model or tokenizer.json): pass token ids instead")).Encode(text);

    /// <summary>
    /// Token ids of a document's text, only as many as the encoder row keeps (spec §2: L0 minus &lt;ENC&gt; and
    /// &lt;s&gt;; <see cref="EncoderLayout"/> cuts the rest), so a long document is not tokenized whole.
    /// </summary>
    public int[] EncodeDocument(string text) =>
        (Tokenizer ?? throw new InvalidOperationException($"{Decoder.Source} has no tokenizer files (tokenizer.model or tokenizer.json): pass token ids instead"))
            .Encode(text, EncoderLayout.DocumentTokensKept(Config));

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
        Wait(AskAsync(question, documents, options, k, onToken, cancellation));

    /// <summary>The whole pipeline for one question given as text, without blocking the caller.</summary>
    public Task<ClaraAnswer> AskAsync(string question, CompressedDocuments documents, GenerationOptions options, int? k = null,
        Action<int, int>? onToken = null, CancellationToken cancellation = default) =>
        AskAsync(Encode(question), documents, options, k, promptIds: BuildPrompt(question, k ?? Config.TopK), temperature: null, onToken, cancellation);

    /// <summary>The whole pipeline for one question over already compressed candidates.</summary>
    public ClaraAnswer Ask(IReadOnlyList<int> question, CompressedDocuments documents, GenerationOptions options,
        int? k = null, IReadOnlyList<int>? promptIds = null, float? temperature = null, Action<int, int>? onToken = null,
        CancellationToken cancellation = default) =>
        Wait(AskAsync(question, documents, options, k, promptIds, temperature, onToken, cancellation));

    /// <summary>The whole pipeline for one question, without blocking the caller (the model's work runs on the scheduler).</summary>
    public async Task<ClaraAnswer> AskAsync(IReadOnlyList<int> question, CompressedDocuments documents, GenerationOptions options,
        int? k = null, IReadOnlyList<int>? promptIds = null, float? temperature = null, Action<int, int>? onToken = null,
        CancellationToken cancellation = default)
    {
        options.Validate();
        var query = await EncodeQueryAsync(question, cancellation).ConfigureAwait(false);
        var scores = Score(query, documents);
        var topk = SelectTopK(scores, k, temperature);
        var prompt = promptIds ?? BuildPrompt(question, topk.Length);
        var answer = (await GenerateAsync([(prompt, topk)], documents, options, onToken, cancellation).ConfigureAwait(false))[0];
        return new ClaraAnswer(answer, topk, scores, query);
    }

    public void Dispose()
    {
        Scheduler.Dispose();
        Decoder.Dispose();
    }

    /// <summary>Blocks on a scheduled request; the scheduler's worker is its own thread, so this cannot deadlock it.</summary>
    private static T Wait<T>(Task<T> task) => task.GetAwaiter().GetResult();
}
