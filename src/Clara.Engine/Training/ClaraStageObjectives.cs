using Clara.Engine.Graph;
using Clara.Engine.Pipeline;
using Clara.Engine.Tensors;

namespace Clara.Engine.Training;

/// <summary>
/// What the CLaRa stages share: the model, its settings, the rules of their examples, and the documents' memories (a
/// cache of them while the compressor is frozen, <see cref="FrozenDocumentMemories"/>).
/// </summary>
internal abstract class ClaraStageObjective : StageObjective
{
    protected ClaraStageObjective(TrainingStage stage, ClaraModel model, ParameterStore store, IReadOnlyList<string> trained, long memoryCacheBytes)
        : base(stage, model.Decoder, store,
            new ExampleRules(model.Decoder.Config.VocabSize, model.Decoder.Config.MaxPositionEmbeddings, model.Config.MemTokenIds),
            trained.Select(model.Decoder.GetAdapter).ToList()!)
    {
        Model = model;
        if (memoryCacheBytes > 0 && !trained.Contains(ClaraModel.EncoderAdapter))
            FrozenMemories = new FrozenDocumentMemories(model, store, memoryCacheBytes);
    }

    protected ClaraModel Model { get; }

    /// <summary>The frozen compressor's cache, or null when the compressor trains (or the cache is off).</summary>
    internal FrozenDocumentMemories? FrozenMemories { get; }

    protected ClaraGraphParts Parts(ComputeGraph g, GraphInputs inputs) => new(g, inputs, Model.Decoder, Model.Config, Parameters);

    /// <summary>
    /// The memories of <paramref name="documents"/> as [documents·n_mem, hidden] rows, document after document: compressed
    /// inside the graph when the compressor trains (its gradient flows back through them), else from the cache.
    /// </summary>
    protected Value DocumentMemories(ClaraGraphParts parts, GraphInputs inputs, IReadOnlyList<IReadOnlyList<int>> documents, string name) =>
        FrozenMemories is null
            ? parts.EncodeMemories(documents, ClaraModel.EncoderAdapter, name)
            : inputs.AddFloats(name + ".memory", FrozenMemories.For(documents), documents.Count * parts.MemoryTokens, parts.Hidden);

    public override void Dispose()
    {
        FrozenMemories?.Dispose();
        base.Dispose();
    }
}

/// <summary>
/// §6.1: each document is compressed with the encoder adapter (trainable), its memory fills the prompt's one slot,
/// the generator (decoder adapter) predicts the target. L = CE + λ · mean over the batch of the alignment loss.
/// </summary>
internal sealed class ScpObjective(ClaraModel model, ParameterStore store, IReadOnlyList<string> trained, float lambda)
    : ClaraStageObjective(TrainingStage.Scp, model, store, trained, memoryCacheBytes: 0)
{
    protected override Value BuildLoss(ComputeGraph g, GraphInputs inputs, IReadOnlyList<TrainingExample> batch)
    {
        var examples = batch.Cast<ScpExample>().ToList();
        var parts = Parts(g, inputs);
        var encoded = parts.Encode(examples.Select(e => e.DocumentIds).ToList(), ClaraModel.EncoderAdapter, "enc");
        var memory = parts.Memory(encoded, Enumerable.Range(0, examples.Count), "memory");
        return parts.ScpLoss(encoded, memory, parts.Generator(examples.Select(e => (e.PromptIds, e.TargetIds))), lambda, "loss");
    }
}

/// <summary>§6.2: the k documents (frozen compressor) fill the prompt's slots in order; the decoder adapter learns the answer.</summary>
internal sealed class InstructObjective(ClaraModel model, ParameterStore store, IReadOnlyList<string> trained, long memoryCacheBytes)
    : ClaraStageObjective(TrainingStage.Instruct, model, store, trained, memoryCacheBytes)
{
    protected override Value BuildLoss(ComputeGraph g, GraphInputs inputs, IReadOnlyList<TrainingExample> batch)
    {
        var examples = batch.Cast<InstructExample>().ToList();
        var parts = Parts(g, inputs);
        // Documents are listed example after example in slot order, as the slot rows are.
        var memory = DocumentMemories(parts, inputs, examples.SelectMany(e => e.Docs).ToList(), "docs");
        var rows = parts.Generator(examples.Select(e => (e.PromptIds, e.AnswerIds)));
        return parts.GeneratorLoss(rows, ClaraModel.DecoderAdapter, x => parts.Splice(x, rows.SlotRows, memory, "splice"), "gen");
    }
}

/// <summary>
/// §6.3: the question through the query reasoner, cosine scores against the candidates' memories (frozen compressor),
/// the straight-through top-k W, S = W·D spliced into the k slots, the generator's CE. The query reasoner learns only
/// through W's soft gradient.
/// </summary>
internal sealed class E2eObjective(ClaraModel model, ParameterStore store, IReadOnlyList<string> trained, float temperature, long memoryCacheBytes)
    : ClaraStageObjective(TrainingStage.E2e, model, store, trained, memoryCacheBytes)
{
    protected override Value BuildLoss(ComputeGraph g, GraphInputs inputs, IReadOnlyList<TrainingExample> batch)
    {
        var examples = batch.Cast<E2eExample>().ToList();
        var parts = Parts(g, inputs);
        int nMem = parts.MemoryTokens, hidden = parts.Hidden;
        var docs = DocumentMemories(parts, inputs, examples.SelectMany(e => e.Docs).ToList(), "docs");
        var questions = parts.EncodeMemories(examples.Select(e => e.QuestionIds).ToList(), ClaraModel.QueryAdapter, "query");
        var rows = parts.Generator(examples.Select(e => (e.PromptIds, e.AnswerIds)));
        return parts.GeneratorLoss(rows, ClaraModel.DecoderAdapter, embeddings =>
        {
            int firstDoc = 0, firstSlotRow = 0;
            for (int b = 0; b < examples.Count; b++)
            {
                int n = examples[b].Docs.Count, k = rows.SlotCounts[b];
                string p = $"e2e{b}.";
                var (candidates, scores) = parts.CandidateScores(docs, firstDoc, n, questions, b, p);
                var weights = g.Reshape(g.StraightThroughTopK(scores, k, temperature, p + "topk"), new Shape(k, n));
                var selected = g.Reshape(g.Gemm(weights, false, candidates, false, p + "selected"), new Shape(k * nMem, hidden));
                embeddings = parts.Splice(embeddings, rows.SlotRows.AsSpan(firstSlotRow, k * nMem).ToArray(), selected, p + "splice");
                firstDoc += n;
                firstSlotRow += k * nMem;
            }
            return embeddings;
        }, "gen");
    }
}

/// <summary>
/// §6.5 (the engine's warm start of the query reasoner): the question through the query reasoner, cosine scores against
/// the candidates' memories, and the mean over the batch of CE(softmax(scores / τ), gold). No generator runs; the query
/// reasoner learns, and the compressor too when it is among the trained adapters (its gradient reaches it through the
/// candidates of the scores).
/// </summary>
internal sealed class RankObjective(ClaraModel model, ParameterStore store, IReadOnlyList<string> trained, float temperature, long memoryCacheBytes)
    : ClaraStageObjective(TrainingStage.Rank, model, store, trained, memoryCacheBytes)
{
    protected override Value BuildLoss(ComputeGraph g, GraphInputs inputs, IReadOnlyList<TrainingExample> batch)
    {
        var examples = batch.Cast<RankExample>().ToList();
        var parts = Parts(g, inputs);
        var docs = DocumentMemories(parts, inputs, examples.SelectMany(e => e.Docs).ToList(), "docs");
        var questions = parts.EncodeMemories(examples.Select(e => e.QuestionIds).ToList(), ClaraModel.QueryAdapter, "query");
        return parts.RankLoss(docs, questions, examples.Select(e => (e.Docs.Count, e.Gold)).ToList(), temperature, "rank");
    }
}

/// <summary>
/// docs/clara-spec.md §6.6 (the engine's own): SCP's reading loss and the rank loss on one batch, so that neither moves
/// the compressor's memories away from what the other needs. Every candidate is compressed in the graph (the
/// compressor trains); the question is ranked among them (§6.5), and the gold document's memory fills the prompt's one
/// slot for the generator (§6.1). L = CE(answer) + λ · mean alignment loss over the candidates + μ · mean rank CE.
/// </summary>
internal sealed class ScpRankObjective(ClaraModel model, ParameterStore store, IReadOnlyList<string> trained, float lambda, float rankWeight, float temperature)
    : ClaraStageObjective(TrainingStage.ScpRank, model, store, trained, memoryCacheBytes: 0)
{
    protected override Value BuildLoss(ComputeGraph g, GraphInputs inputs, IReadOnlyList<TrainingExample> batch)
    {
        var examples = batch.Cast<ScpRankExample>().ToList();
        var parts = Parts(g, inputs);
        var documents = examples.SelectMany(e => e.Docs).ToList();
        var encoded = parts.Encode(documents, ClaraModel.EncoderAdapter, "enc");
        var docs = parts.Memory(encoded, Enumerable.Range(0, documents.Count), "docs");
        var golds = new int[examples.Count];
        for (int b = 0, first = 0; b < examples.Count; first += examples[b].Docs.Count, b++) golds[b] = first + examples[b].Gold;
        var gold = parts.Memory(encoded, golds, "gold");
        var questions = parts.EncodeMemories(examples.Select(e => e.QuestionIds).ToList(), ClaraModel.QueryAdapter, "query");
        var reading = parts.ScpLoss(encoded, gold, parts.Generator(examples.Select(e => (e.PromptIds, e.AnswerIds))), lambda, "reading");
        var rank = parts.RankLoss(docs, questions, examples.Select(e => (e.Docs.Count, e.Gold)).ToList(), temperature, "rank");
        return g.AddScaled(reading, rank, rankWeight, "loss");
    }
}
