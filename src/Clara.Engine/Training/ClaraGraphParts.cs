using Clara.Engine.Graph;
using Clara.Engine.Models;
using Clara.Engine.Pipeline;

namespace Clara.Engine.Training;

/// <summary>
/// The CLaRa pieces the stage graphs are made of, all inside one graph: the §2 encoder over texts with one adapter,
/// the memory rows of each encoded text, and the generator's cross-entropy over a batch with memories spliced in.
/// </summary>
internal sealed class ClaraGraphParts(ComputeGraph g, GraphInputs inputs, DecoderModel decoder, ClaraConfig config, ParameterStore store)
{
    private readonly EncoderLayout _layout = new(config);

    public ComputeGraph Graph => g;
    public int MemoryTokens => config.MemoryTokens;
    public int Hidden => decoder.Config.HiddenSize;

    /// <summary>Final-norm hidden states [texts·L, hidden] of the §2 encoder rows (positions over the padded row, padding masked).</summary>
    public EncodedTexts Encode(IReadOnlyList<IReadOnlyList<int>> texts, string adapter, string name)
    {
        var (ids, mask, positions) = _layout.Build(texts);
        int n = texts.Count, length = _layout.Length;
        var w = new DecoderWeightsBinding(g, decoder.Weights, decoder.GetAdapter(adapter), store);
        var hidden = DecoderTrainingGraph.Forward(g, w, DecoderTrainingGraph.Embed(g, w, inputs.Add(name + ".ids", ids), name + ".embed"),
            inputs.Add(name + ".positions", positions), inputs.Add(name + ".key_mask", mask, n, length), n, length, name + ".");
        return new EncodedTexts(hidden, n, length, config.EncoderTextLength, mask);
    }

    /// <summary>The memory-position states of the listed texts, text after text: [count·n_mem, hidden].</summary>
    public Value Memory(EncodedTexts encoded, IEnumerable<int> texts, string name)
    {
        var rows = texts.SelectMany(t => Enumerable.Range(0, MemoryTokens).Select(m => t * encoded.Length + encoded.TextLength + m)).ToArray();
        return g.GatherRows(encoded.Hidden, inputs.Add(name + ".rows", rows), name);
    }

    /// <summary>The memory rows of every one of <paramref name="texts"/> encoded with <paramref name="adapter"/>: [texts·n_mem, hidden].</summary>
    public Value EncodeMemories(IReadOnlyList<IReadOnlyList<int>> texts, string adapter, string name) =>
        Memory(Encode(texts, adapter, name), Enumerable.Range(0, texts.Count), name + ".memory");

    /// <summary>
    /// §3 for one question: the flattened memories of its <paramref name="count"/> candidates (texts
    /// <paramref name="firstDoc"/>… of <paramref name="documentMemories"/>) as [count, n_mem·hidden], and their cosine
    /// scores [1, count] against text <paramref name="question"/> of <paramref name="queryMemories"/>; both memories are
    /// [texts·n_mem, hidden] rows, text after text.
    /// </summary>
    public (Value Candidates, Value Scores) CandidateScores(Value documentMemories, int firstDoc, int count, Value queryMemories, int question, string prefix)
    {
        int flat = MemoryTokens * Hidden;
        var candidates = g.Reshape(TextRows(documentMemories, firstDoc, count, prefix + "candidates"), new Tensors.Shape(count, flat));
        var query = g.Reshape(TextRows(queryMemories, question, 1, prefix + "query"), new Tensors.Shape(flat));
        return (candidates, g.Reshape(g.CosineScores(query, candidates, prefix + "scores"), new Tensors.Shape(1, count)));
    }

    /// <summary>
    /// §6.5: mean over the questions of CE(softmax(scores / τ), gold), question b ranking the <c>Count</c> documents of
    /// <paramref name="documentMemories"/> that follow those of the questions before it.
    /// </summary>
    public Value RankLoss(Value documentMemories, Value queryMemories, IReadOnlyList<(int Count, int Gold)> questions, float temperature, string name)
    {
        Value? loss = null;
        int firstDoc = 0;
        for (int b = 0; b < questions.Count; b++)
        {
            var (count, gold) = questions[b];
            string p = $"{name}{b}.";
            var (_, scores) = CandidateScores(documentMemories, firstDoc, count, queryMemories, b, p);
            var logits = g.Scale(scores, 1f / MathF.Max(temperature, 1e-6f), p + "logits");
            var ce = g.MeanCrossEntropy(logits, inputs.Add(p + "gold", [gold]), p + "ce");
            loss = loss is null ? g.Scale(ce, 1f / questions.Count, p + "mean") : g.AddScaled(loss, ce, 1f / questions.Count, p + "mean");
            firstDoc += count;
        }
        return loss ?? throw new ArgumentException("the rank loss needs at least one question", nameof(questions));
    }

    private Value TextRows(Value memories, int firstText, int texts, string name) =>
        g.GatherRows(memories, inputs.Add(name + ".rows", Enumerable.Range(firstText * MemoryTokens, texts * MemoryTokens).ToArray()), name);

    /// <summary>§2 alignment loss of every encoded text, [texts].</summary>
    public Value AlignmentLoss(EncodedTexts encoded, string name)
    {
        var roles = new int[encoded.Mask.Length];
        for (int i = 0; i < roles.Length; i++)
            roles[i] = (int)(i % encoded.Length >= encoded.TextLength ? MemoryTokenRole.Memory
                : encoded.Mask[i] != 0 ? MemoryTokenRole.Document : MemoryTokenRole.Ignored);
        var hidden3 = g.Reshape(encoded.Hidden, new Tensors.Shape(encoded.Count, encoded.Length, Hidden));
        return g.AlignmentLoss(hidden3, inputs.Add(name + ".roles", roles, encoded.Count, encoded.Length), name);
    }

    /// <summary>
    /// §6.1's loss: the generator's CE with <paramref name="slotMemory"/> [rows·n_mem, hidden] in each prompt's one slot,
    /// plus λ times the mean alignment loss over every text of <paramref name="encoded"/>.
    /// </summary>
    public Value ScpLoss(EncodedTexts encoded, Value slotMemory, GeneratorBatch rows, float lambda, string name)
    {
        var ce = GeneratorLoss(rows, ClaraModel.DecoderAdapter, x => Splice(x, rows.SlotRows, slotMemory, name + ".splice"), name + ".gen");
        var mse = g.Sum(AlignmentLoss(encoded, name + ".mse"), 1f / encoded.Count, name + ".mse_mean");
        return g.AddScaled(ce, mse, lambda, name);
    }

    /// <summary>
    /// Mean CE of the answers after their prompts, with the generator adapter; <paramref name="splice"/> receives the
    /// token embeddings and returns them with the memories in place.
    /// </summary>
    public Value GeneratorLoss(GeneratorBatch rows, string adapter, Func<Value, Value> splice, string name)
    {
        var w = new DecoderWeightsBinding(g, decoder.Weights, decoder.GetAdapter(adapter), store);
        var embeddings = splice(DecoderTrainingGraph.Embed(g, w, inputs.Add(name + ".ids", rows.Ids), name + ".embed"));
        var hidden = DecoderTrainingGraph.Forward(g, w, embeddings, inputs.Add(name + ".positions", rows.Positions),
            inputs.Add(name + ".key_mask", rows.Mask, rows.Batch, rows.Width), rows.Batch, rows.Width, name + ".");
        var logits = DecoderTrainingGraph.Logits(g, w, hidden, inputs.Add(name + ".target_rows", rows.TargetRows), name + ".logits");
        return g.MeanCrossEntropy(logits, inputs.Add(name + ".targets", rows.Targets), name + ".ce");
    }

    /// <summary>Rows of the generator input replaced by <paramref name="memory"/> [rows·n_mem, hidden].</summary>
    public Value Splice(Value embeddings, IReadOnlyList<int> rows, Value memory, string name) =>
        g.SpliceRows(embeddings, inputs.Add(name + ".rows", [.. rows]), memory, name);

    public GeneratorBatch Generator(IEnumerable<(IReadOnlyList<int> Prompt, IReadOnlyList<int> Answer)> rows) =>
        new(rows.ToList(), config.PadTokenId, config.MemTokenIds);
}

/// <summary>Encoder output of a set of texts: <see cref="Count"/> rows of <see cref="Length"/> positions, the first <see cref="TextLength"/> text.</summary>
internal sealed record EncodedTexts(Value Hidden, int Count, int Length, int TextLength, int[] Mask);
