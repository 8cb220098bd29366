using Clara.Engine.Tensors;

namespace Clara.Convert.Model;

/// <summary>The tensors a converted model must have and their shapes, derived from config.json alone.</summary>
public static class ModelLayout
{
    /// <summary>Two norms and seven projections.</summary>
    public const int TensorsPerLayer = 9;

    /// <summary>Every base tensor in the engine's canonical order. Linear weights are [out, in].</summary>
    public static IEnumerable<(string Name, Shape Shape)> BaseTensors(HfModelConfig c, int vocabSize)
    {
        yield return (EngineNames.TokEmbeddings, new Shape(vocabSize, c.HiddenSize));
        for (int layer = 0; layer < c.Layers; layer++)
        {
            yield return (EngineNames.AttnNorm(layer), new Shape(c.HiddenSize));
            foreach (var p in Enum.GetValues<Projection>())
            {
                if (p == Projection.WGate) yield return (EngineNames.MlpNorm(layer), new Shape(c.HiddenSize));
                var (input, output) = Dims(c, p);
                yield return (EngineNames.Linear(layer, p), new Shape(output, input));
            }
        }
        yield return (EngineNames.Norm, new Shape(c.HiddenSize));
        if (!c.TieWordEmbeddings) yield return (EngineNames.LmHead, new Shape(vocabSize, c.HiddenSize));
    }

    /// <summary>(in features, out features) of a projection.</summary>
    public static (int In, int Out) Dims(HfModelConfig c, Projection p) => p switch
    {
        Projection.Wq => (c.HiddenSize, c.QueryWidth),
        Projection.Wk or Projection.Wv => (c.HiddenSize, c.KvWidth),
        Projection.Wo => (c.QueryWidth, c.HiddenSize),
        Projection.WGate or Projection.WUp => (c.HiddenSize, c.IntermediateSize),
        Projection.WDown => (c.IntermediateSize, c.HiddenSize),
        _ => throw new ArgumentOutOfRangeException(nameof(p)),
    };

    /// <summary>LoRA A is [r, in], B is [out, r].</summary>
    public static Shape LoraShape(HfModelConfig c, Projection p, bool isA, int rank)
    {
        var (input, output) = Dims(c, p);
        return isA ? new Shape(rank, input) : new Shape(output, rank);
    }
}
