using Clara.Engine.Models;
using Clara.Engine.Tensors;

namespace Clara.Engine.Training;

/// <summary>
/// The names trainable tensors are stored and exported under: <c>&lt;adapter&gt;/&lt;PEFT name&gt;</c> for LoRA A/B, the HF
/// names for base weights (stage lm), and the tensors of the model they start from.
/// </summary>
internal static class TrainableWeights
{
    public static string Lora(string adapter, int layer, LinearSlot slot, char aOrB) => $"{adapter}/{WeightNames.PeftLora(layer, slot, aOrB)}";

    /// <summary>Every LoRA pair of an adapter, layer by layer in slot order, with the tensors it starts from.</summary>
    public static IEnumerable<(string Name, Tensor Initial)> Adapter(LoraAdapter adapter, ModelConfig c)
    {
        for (int i = 0; i < c.Layers; i++)
            foreach (var slot in LinearSlots.All)
                if (adapter.TryGet(i, slot, out var a, out var b))
                {
                    yield return (Lora(adapter.Name, i, slot, 'A'), a);
                    yield return (Lora(adapter.Name, i, slot, 'B'), b);
                }
    }

    /// <summary>Every base weight under its HF name (lm_head only when untied).</summary>
    public static IEnumerable<(string Name, Tensor Initial)> Base(ModelWeights w)
    {
        var c = w.Config;
        yield return (WeightNames.HfEmbedding, w.Embedding);
        for (int i = 0; i < c.Layers; i++)
        {
            yield return (WeightNames.HfAttnNorm(i), w.Layers[i].AttnNorm);
            foreach (var slot in LinearSlots.All) yield return (WeightNames.HfLinear(i, slot), w.Layers[i][slot]);
            yield return (WeightNames.HfMlpNorm(i), w.Layers[i].MlpNorm);
        }
        yield return (WeightNames.HfNorm, w.Norm);
        if (!c.TieWordEmbeddings) yield return (WeightNames.HfLmHead, w.LmHead);
    }

    /// <summary>A store holding <paramref name="entries"/>, each initialised from its tensor (widened to F32).</summary>
    public static ParameterStore CreateStore(Backends.IBackend backend, IReadOnlyList<(string Name, Tensor Initial)> entries)
    {
        var store = new ParameterStore(backend, entries.Select(e => (e.Name, e.Initial.Shape)));
        try
        {
            foreach (var (name, initial) in entries)
                backend.Upload(System.Runtime.InteropServices.MemoryMarshal.AsBytes(initial.ToFloatArray().AsSpan()), store[name].Value);
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }
}
