using Clara.Engine.Graph;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Models;
using Clara.Engine.Tensors;

namespace Clara.Engine.Training;

/// <summary>§6.4: next-token cross-entropy over every token of each text (of each completion, for prompt/completion lines); every base weight trains.</summary>
internal sealed class LmObjective : StageObjective
{
    private LmObjective(DecoderModel decoder, ParameterStore store)
        : base(TrainingStage.Lm, decoder, store, new ExampleRules(decoder.Config.VocabSize, decoder.Config.MaxPositionEmbeddings), []) { }

    public static LmObjective Create(DecoderModel decoder, bool checkpointActivations = false)
    {
        var entries = TrainableWeights.Base(decoder.Weights).ToList();
        var notF32 = entries.Where(e => e.Initial.DType != DType.F32).Select(e => $"{e.Name} is {e.Initial.DType}").Take(3).ToList();
        if (notF32.Count > 0)
            throw new NotSupportedException($"stage lm trains every base weight and needs them in F32 ({string.Join(", ", notF32)}…); " +
                "convert the model with clara convert --dtype f32 first");
        return new LmObjective(decoder, TrainableWeights.CreateStore(decoder.Backend, entries)) { CheckpointActivations = checkpointActivations };
    }

    protected override Value BuildLoss(ComputeGraph g, GraphInputs inputs, IReadOnlyList<TrainingExample> batch) =>
        NextTokenLoss(g, inputs, batch, Decoder, adapter: null, Parameters);

    /// <summary>
    /// Plain next-token CE over every token of each text after its <see cref="LmExample.LossFrom"/>, through the base weights and, when given, one adapter; the
    /// store decides which of them train (the base here, the adapter in the bench's LoRA variant).
    /// </summary>
    internal static Value NextTokenLoss(ComputeGraph g, GraphInputs inputs, IReadOnlyList<TrainingExample> batch, DecoderModel decoder,
        LoraAdapter? adapter, ParameterStore parameters)
    {
        var texts = batch.Cast<LmExample>().Select(e => ((IReadOnlyList<int>)e.Ids.Take(e.LossFrom).ToArray(), (IReadOnlyList<int>)e.Ids.Skip(e.LossFrom).ToArray())).ToList();
        var rows = new GeneratorBatch(texts, decoder.Config.PadTokenId ?? 0, memoryIds: null);
        var w = new DecoderWeightsBinding(g, decoder.Weights, adapter, parameters);
        var ids = inputs.Add("ids", rows.Ids);
        var hidden = DecoderTrainingGraph.Forward(g, w, DecoderTrainingGraph.Embed(g, w, ids, "embed"),
            inputs.Add("positions", rows.Positions), inputs.Add("key_mask", rows.Mask, rows.Batch, rows.Width), rows.Batch, rows.Width, "");
        var logits = DecoderTrainingGraph.Logits(g, w, hidden, inputs.Add("target_rows", rows.TargetRows), "logits");
        return g.MeanCrossEntropy(logits, inputs.Add("targets", rows.Targets), "loss");
    }

    public override void CopyToModel() =>
        throw new NotSupportedException("stage lm trains the base weights, which the loaded model maps read-only: Export them and load the exported model");

    /// <summary>model.safetensors with every base weight under its HF name.</summary>
    public override void Export(string directory)
    {
        Directory.CreateDirectory(directory);
        SafetensorsWriter.Write(Path.Combine(directory, "model.safetensors"),
            Parameters.Parameters.Select(p => TensorToWrite.FromFloat32(p.Name, p.Shape, p.Value.ToFloatArray())).ToList());
    }
}
