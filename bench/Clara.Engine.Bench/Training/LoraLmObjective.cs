using Clara.Engine.Graph;
using Clara.Engine.Models;
using Clara.Engine.Training;

namespace Clara.Engine.Bench.Training;

/// <summary>
/// LoRA fine-tuning of a decoder on next-token cross-entropy: the loss of stage lm (§6.4, every token but the first
/// of each text is a target), but with the base weights frozen and only the adapter's A and B training, as a PEFT
/// LoRA run would. It is the library's own training step (<see cref="StageObjective"/>: one graph per batch, the
/// forward, <see cref="Autodiff.Backward"/>, one executor arena), only with another set of trainable tensors.
/// </summary>
internal sealed class LoraLmObjective : StageObjective
{
    private readonly LoraAdapter _adapter;

    public LoraLmObjective(DecoderModel decoder, LoraAdapter adapter)
        : base(TrainingStage.Lm, decoder,
            TrainableWeights.CreateStore(decoder.Backend, TrainableWeights.Adapter(adapter, decoder.Config).ToList()),
            new ExampleRules(decoder.Config.VocabSize, decoder.Config.MaxPositionEmbeddings), [adapter])
    {
        _adapter = adapter;
    }

    protected override Value BuildLoss(ComputeGraph g, GraphInputs inputs, IReadOnlyList<TrainingExample> batch)
    {
        var texts = batch.Cast<LmExample>().Select(e => ((IReadOnlyList<int>)[e.Ids[0]], (IReadOnlyList<int>)e.Ids.Skip(1).ToArray())).ToList();
        var rows = new GeneratorBatch(texts, Decoder.Config.PadTokenId ?? 0, memoryIds: null);
        var w = new DecoderWeightsBinding(g, Decoder.Weights, _adapter, Parameters);
        var ids = inputs.Add("ids", rows.Ids);
        var hidden = DecoderTrainingGraph.Forward(g, w, DecoderTrainingGraph.Embed(g, w, ids, "embed"),
            inputs.Add("positions", rows.Positions), inputs.Add("key_mask", rows.Mask, rows.Batch, rows.Width), rows.Batch, rows.Width, "");
        var logits = DecoderTrainingGraph.Logits(g, w, hidden, inputs.Add("target_rows", rows.TargetRows), "logits");
        return g.MeanCrossEntropy(logits, inputs.Add("targets", rows.Targets), "loss");
    }
}
