using Clara.Engine.Models;

namespace Clara.Engine.Pipeline;

/// <summary>One prompt to answer: its ids and, per memory slot, the memory [n_mem·hidden] to splice in.</summary>
public sealed record GenerationPrompt(IReadOnlyList<int> Ids, IReadOnlyList<ReadOnlyMemory<float>> SlotMemories);

/// <summary>
/// Decodes answers from spliced memory with the decoder adapter: one batched prefill of the left-padded prompts
/// (positions count from each row's first real token, as HF generate does), then one KV-cached step per token.
/// </summary>
public sealed class MemoryGenerator(DecoderModel model, ClaraConfig config, string adapter)
{
    /// <summary>Generates for every prompt together; <paramref name="onToken"/> sees (row, token) as each is chosen.</summary>
    public IReadOnlyList<int[]> Generate(IReadOnlyList<GenerationPrompt> prompts, GenerationOptions options,
        Action<int, int>? onToken = null, CancellationToken cancellation = default)
    {
        options.Validate();
        if (prompts.Count == 0) return [];
        int batch = prompts.Count, hidden = model.Config.HiddenSize, nMem = config.MemoryTokens;
        int width = prompts.Max(p => p.Ids.Count);
        if (width == 0) throw new ArgumentException("a prompt is empty");
        int capacity = width + options.MaxNewTokens;
        if (capacity > model.Config.MaxPositionEmbeddings)
            throw new ArgumentException($"a prompt of {width} tokens plus {options.MaxNewTokens} new tokens exceeds the model's context of {model.Config.MaxPositionEmbeddings}");

        var ids = new int[batch * width];
        var mask = new int[batch * width];
        var positions = new int[batch * width];
        var spliceRows = new List<int>();
        var spliceValues = new List<float>();
        var next = new int[batch];
        for (int b = 0; b < batch; b++)
        {
            var prompt = prompts[b];
            int pad = width - prompt.Ids.Count;
            for (int t = 0; t < width; t++)
            {
                bool real = t >= pad;
                ids[b * width + t] = real ? prompt.Ids[t - pad] : config.PadTokenId;
                mask[b * width + t] = real ? 1 : 0;
                positions[b * width + t] = real ? t - pad : 1;
            }
            next[b] = prompt.Ids.Count;
            var starts = MemoryPrompt.SlotStarts(prompt.Ids, config.MemTokenIds);
            if (starts.Length != prompt.SlotMemories.Count)
                throw new ArgumentException($"prompt {b} has {starts.Length} memory slots but {prompt.SlotMemories.Count} documents were selected for it");
            for (int j = 0; j < starts.Length; j++)
            {
                var memory = prompt.SlotMemories[j].Span;
                if (memory.Length != nMem * hidden) throw new ArgumentException($"slot {j} of prompt {b} holds {memory.Length} values, expected {nMem}×{hidden}");
                for (int m = 0; m < nMem; m++) spliceRows.Add(b * width + pad + starts[j] + m);
                spliceValues.AddRange(memory.ToArray());
            }
        }

        var stops = new HashSet<int>(options.StopTokens) { config.EosTokenId };
        foreach (var eos in model.Config.EosTokenIds) stops.Add(eos);
        var sampler = new TokenSampler(options);
        var answers = Enumerable.Range(0, batch).Select(_ => new List<int>()).ToArray();
        var done = new bool[batch];
        int vocab = model.Config.VocabSize;

        using var cache = model.CreateCache(batch, capacity);
        var logits = model.Forward(cache, new ForwardInputs(batch, width, ids, mask, positions)
        {
            LogitRows = Enumerable.Range(0, batch).Select(b => b * width + width - 1).ToArray(),
            SpliceRows = spliceRows.Count > 0 ? spliceRows.ToArray() : null,
            SpliceValues = spliceRows.Count > 0 ? spliceValues.ToArray() : null,
        }, adapter).Logits!;

        var stepIds = new int[batch];
        var stepPositions = new int[batch];
        var attend = Enumerable.Repeat(1, batch).ToArray();
        for (int step = 0; step < options.MaxNewTokens; step++)
        {
            cancellation.ThrowIfCancellationRequested();
            for (int b = 0; b < batch; b++)
            {
                if (done[b]) { stepIds[b] = config.PadTokenId; continue; }
                int token = sampler.Next(logits.AsSpan(b * vocab, vocab));
                answers[b].Add(token);
                onToken?.Invoke(b, token);
                if (stops.Contains(token)) done[b] = true;
                stepIds[b] = token;
            }
            if (done.All(d => d) || step + 1 == options.MaxNewTokens) break;
            for (int b = 0; b < batch; b++) stepPositions[b] = next[b]++;
            // The prefill's logits array (batch × vocab, as every step's) is reused: this step's sampling is done with it.
            logits = model.Forward(cache, new ForwardInputs(batch, 1, stepIds, attend, stepPositions) { LogitsBuffer = logits }, adapter).Logits!;
        }
        return answers.Select(a => a.ToArray()).ToArray();
    }
}
