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

    protected override Value BuildLoss(ComputeGraph g, GraphInputs inputs, IReadOnlyList<TrainingExample> batch) =>
        LmObjective.NextTokenLoss(g, inputs, batch, Decoder, _adapter, Parameters);
}
