using Clara.Engine.Tensors;

namespace Clara.Engine.Models;

/// <summary>
/// The tensors a decoder of a given config has, and their shapes: derived from config.json alone, the one list the
/// loader checks a checkpoint against and the converter writes. Linear weights are [out, in]; LoRA A is [r, in], B [out, r].
/// </summary>
public static class WeightLayout
{
    /// <summary>Two norms and seven projections.</summary>
    public const int TensorsPerLayer = 2 + 7;

    /// <summary>Every base tensor under its engine name, in the engine's canonical order (the converter writes them so).</summary>
    public static IEnumerable<(string Name, Shape Shape)> BaseTensors(ModelConfig c, int vocabSize)
    {
        yield return (WeightNames.EngineEmbedding, new Shape(vocabSize, c.HiddenSize));
        for (int layer = 0; layer < c.Layers; layer++)
        {
            yield return (WeightNames.EngineAttnNorm(layer), new Shape(c.HiddenSize));
            foreach (var slot in LinearSlots.All)
            {
                if (slot == LinearSlot.Gate) yield return (WeightNames.EngineMlpNorm(layer), new Shape(c.HiddenSize));
                var (o, n) = slot.Dims(c);
                yield return (WeightNames.EngineLinear(layer, slot), new Shape(o, n));
            }
        }
        yield return (WeightNames.EngineNorm, new Shape(c.HiddenSize));
        if (!c.TieWordEmbeddings) yield return (WeightNames.EngineLmHead, new Shape(vocabSize, c.HiddenSize));
    }

    public static Shape LoraShape(ModelConfig c, LinearSlot slot, bool isA, int rank)
    {
        var (o, n) = slot.Dims(c);
        return isA ? new Shape(rank, n) : new Shape(o, rank);
    }
}
