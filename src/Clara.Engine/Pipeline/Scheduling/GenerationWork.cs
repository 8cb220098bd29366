using Clara.Engine.Models;

namespace Clara.Engine.Pipeline.Scheduling;

/// <summary>
/// One prompt to answer, with everything its decoding needs of its own: the prefill inputs (memories spliced into
/// its slots), its stop tokens and its seeded sampler, so its tokens never depend on the requests decoded beside it.
/// </summary>
internal sealed class GenerationWork : SchedulerWork<int[]>
{
    private readonly TokenSampler _sampler;
    private readonly HashSet<int> _stops;
    private readonly Action<int>? _onToken;
    private readonly List<int> _answer = [];

    public GenerationWork(ForwardInputs prefill, GenerationOptions options, IEnumerable<int> stops, Action<int>? onToken, CancellationToken cancellation)
        : base(cancellation)
    {
        Prefill = prefill;
        Options = options;
        _stops = [.. stops];
        _onToken = onToken;
        _sampler = new TokenSampler(options);
    }

    public ForwardInputs Prefill { get; }
    public GenerationOptions Options { get; }
    public int PromptLength => Prefill.Length;

    /// <summary>Tokens this request may still emit; the positions its cache still needs.</summary>
    public int Remaining => Options.MaxNewTokens - _answer.Count;

    /// <summary>The token to feed next (the last one emitted).</summary>
    public int LastToken => _answer[^1];

    /// <summary>Its position: positions count from the prompt's first token, as a lone call does.</summary>
    public int NextPosition => PromptLength + _answer.Count - 1;

    /// <summary>
    /// Picks the next token from this request's row of logits and hands it to the caller; ends the request at a stop
    /// token or at its token limit. A request cancelled meanwhile takes nothing (its task is already cancelled).
    /// </summary>
    public void Take(ReadOnlySpan<float> logits)
    {
        if (IsFinished) return;
        int token = _sampler.Next(logits);
        _answer.Add(token);
        try
        {
            _onToken?.Invoke(token);
        }
        catch (Exception e)
        {
            Fail(e);
            return;
        }
        if (_stops.Contains(token) || _answer.Count == Options.MaxNewTokens) Succeed([.. _answer]);
    }

    /// <summary>The prefill of one prompt, laid out as a lone call lays it out (no padding, positions from 0).</summary>
    public static ForwardInputs PrefillInputs(GenerationPrompt prompt, ClaraConfig config, ModelConfig model, int maxNewTokens)
    {
        int length = prompt.Ids.Count, hidden = model.HiddenSize, nMem = config.MemoryTokens;
        if (length == 0) throw new InvalidInputException("a prompt is empty");
        if (length + maxNewTokens > model.MaxPositionEmbeddings)
            throw new InvalidInputException($"a prompt of {length} tokens plus {maxNewTokens} new tokens exceeds the model's context of {model.MaxPositionEmbeddings}");
        var starts = MemoryPrompt.SlotStarts(prompt.Ids, config.MemTokenIds);
        if (starts.Length != prompt.SlotMemories.Count)
            throw new InvalidInputException($"the prompt has {starts.Length} memory slots but {prompt.SlotMemories.Count} documents were selected for it");
        var rows = new int[starts.Length * nMem];
        var values = new float[rows.Length * hidden];
        for (int j = 0; j < starts.Length; j++)
        {
            var memory = prompt.SlotMemories[j].Span;
            if (memory.Length != nMem * hidden) throw new ArgumentException($"slot {j} holds {memory.Length} values, expected {nMem}×{hidden}");
            for (int m = 0; m < nMem; m++) rows[j * nMem + m] = starts[j] + m;
            memory.CopyTo(values.AsSpan(j * nMem * hidden));
        }
        var inputs = new ForwardInputs(1, length, prompt.Ids.ToArray(), Enumerable.Repeat(1, length).ToArray(), Enumerable.Range(0, length).ToArray())
        {
            LogitRows = [length - 1],
            SpliceRows = rows.Length > 0 ? rows : null,
            SpliceValues = rows.Length > 0 ? values : null,
        };
        inputs.Validate(model);
        return inputs;
    }
}
