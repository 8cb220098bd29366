using Clara.Engine.Backends;
using Clara.Engine.Graph;
using Clara.Engine.Models;
using Clara.Engine.Tensors;

namespace Clara.Engine.Training;

/// <summary>
/// Where a decoder's weights come from in one training graph: each tensor is a trainable <see cref="ComputeGraph.Parameter"/>
/// when the store holds it under its name, a frozen external otherwise. One adapter (or none) applies its LoRA pairs.
/// </summary>
internal sealed class DecoderWeightsBinding(ComputeGraph graph, ModelWeights weights, LoraAdapter? adapter, ParameterStore store)
{
    private readonly Dictionary<string, Value> _values = [];

    public ModelWeights Weights { get; } = weights;
    public LoraAdapter? Adapter { get; } = adapter;

    public Value Base(ComputeGraph g, string hfName, Tensor tensor) => Bind(g, hfName, tensor);

    public bool TryLora(ComputeGraph g, int layer, LinearSlot slot, out Value a, out Value b)
    {
        a = b = null!;
        if (Adapter is null || !Adapter.TryGet(layer, slot, out var ta, out var tb)) return false;
        a = Bind(g, TrainableWeights.Lora(Adapter.Name, layer, slot, 'A'), ta);
        b = Bind(g, TrainableWeights.Lora(Adapter.Name, layer, slot, 'B'), tb);
        return true;
    }

    private Value Bind(ComputeGraph g, string name, Tensor tensor)
    {
        if (!ReferenceEquals(g, graph)) throw new ArgumentException("this binding belongs to another graph");
        if (_values.TryGetValue(name, out var v)) return v;
        v = store.TryGet(name, out var p) ? g.Parameter(p) : g.External(name, tensor);
        _values[name] = v;
        return v;
    }
}

/// <summary>
/// The Mistral/Llama decoder as a training graph: the blocks of <see cref="DecoderGraph"/>, but without a cache (whole
/// sequences, K/V as values, <see cref="ComputeGraph.SequenceAttention"/>) and with nothing written in place.
/// </summary>
internal static class DecoderTrainingGraph
{
    /// <summary>
    /// embeddings [batch·length, hidden] → final-norm hidden states [batch·length, hidden]. Each block is a
    /// <see cref="ComputeGraph.MarkRecomputable"/> segment, which activation checkpointing recomputes in backward.
    /// </summary>
    public static Value Forward(ComputeGraph g, DecoderWeightsBinding w, Value embeddings, Value positions, Value keyMask,
        int batch, int length, string prefix)
    {
        var c = w.Weights.Config;
        var layout = new AttentionLayout(batch, length, 0, c.Heads, c.KvHeads, c.HeadDim, 1f / MathF.Sqrt(c.HeadDim));
        var hidden = embeddings;
        for (int i = 0; i < c.Layers; i++)
        {
            var lw = w.Weights.Layers[i];
            string p = $"{prefix}layer{i}.";
            int firstNode = g.Nodes.Count;
            Value Linear(LinearSlot slot, Value x)
            {
                var weight = w.Base(g, WeightNames.HfLinear(i, slot), lw[slot]);
                return w.TryLora(g, i, slot, out var a, out var b)
                    ? g.LoraLinear(x, weight, a, b, w.Adapter!.Scale, p + slot.TargetName())
                    : g.MatMul(x, weight, p + slot.TargetName());
            }

            var normed = g.RmsNorm(hidden, w.Base(g, WeightNames.HfAttnNorm(i), lw.AttnNorm), c.RmsNormEps, p + "attn_norm");
            var q = g.Rope(Linear(LinearSlot.Q, normed), positions, c.HeadDim, c.RopeTheta, p + "q_rope");
            var k = g.Rope(Linear(LinearSlot.K, normed), positions, c.HeadDim, c.RopeTheta, p + "k_rope");
            var v = Linear(LinearSlot.V, normed);
            var attn = g.SequenceAttention(q, k, v, keyMask, layout, p + "attn");
            hidden = g.Add(hidden, Linear(LinearSlot.O, attn), p + "attn_residual");
            var mlpIn = g.RmsNorm(hidden, w.Base(g, WeightNames.HfMlpNorm(i), lw.MlpNorm), c.RmsNormEps, p + "mlp_norm");
            var act = g.SwiGlu(Linear(LinearSlot.Gate, mlpIn), Linear(LinearSlot.Up, mlpIn), p + "swiglu");
            hidden = g.Add(hidden, Linear(LinearSlot.Down, act), p + "residual");
            // A block reads only its incoming hidden state, weights, positions and mask: checkpointing keeps just that.
            g.MarkRecomputable(firstNode, p + "block");
        }
        return g.RmsNorm(hidden, w.Base(g, WeightNames.HfNorm, w.Weights.Norm), c.RmsNormEps, prefix + "final_norm");
    }

    public static Value Embed(ComputeGraph g, DecoderWeightsBinding w, Value ids, string name) =>
        g.Embedding(ids, w.Base(g, WeightNames.HfEmbedding, w.Weights.Embedding), name);

    /// <summary>Logits of the selected rows of the final hidden states.</summary>
    public static Value Logits(ComputeGraph g, DecoderWeightsBinding w, Value hidden, Value rows, string name)
    {
        var c = w.Weights.Config;
        var head = c.TieWordEmbeddings
            ? w.Base(g, WeightNames.HfEmbedding, w.Weights.Embedding)
            : w.Base(g, WeightNames.HfLmHead, w.Weights.LmHead);
        return g.MatMul(g.GatherRows(hidden, rows, name + ".rows"), head, name);
    }
}
