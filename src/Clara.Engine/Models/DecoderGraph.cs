using Clara.Engine.Backends;
using Clara.Engine.Graph;
using Clara.Engine.Tensors;

namespace Clara.Engine.Models;

/// <summary>What one decoder forward should produce besides filling the KV cache.</summary>
public enum LogitsMode
{
    /// <summary>Only the final-norm hidden states (compression).</summary>
    None,
    /// <summary>Logits for every row.</summary>
    AllRows,
    /// <summary>Logits for the rows listed in the <c>logit_rows</c> input (the last real token of each sequence when decoding).</summary>
    SelectedRows,
}

/// <summary>The shape of one decoder forward: <see cref="Batch"/> sequences of <see cref="Length"/> new positions starting at cache index <see cref="Start"/>.</summary>
public sealed record ForwardRequest(int Batch, int Length, int Start, LogitsMode Logits, int SelectedRowCount = 0, int SplicedRowCount = 0, bool Trace = false)
{
    /// <summary>Everything that decides the graph's structure and sizes; <see cref="Start"/> only moves the cache window.</summary>
    public object PlanKey => this with { Start = 0 };
}

/// <summary>
/// The Mistral/Llama decoder as a <see cref="ComputeGraph"/>: embedding, then per block RMSNorm → q/k/v (+LoRA) →
/// RoPE → cache write → causal GQA attention → o (+LoRA) → residual → RMSNorm → SwiGLU MLP (+LoRA) → residual,
/// then the final norm and optionally lm_head. Graph inputs are named <c>ids</c>, <c>positions</c>, and, when asked
/// for, <c>logit_rows</c> and the spliced embeddings <c>splice_rows</c>/<c>splice_values</c> (rows of the
/// embedding output overwritten before the first block: CLaRa's memory slots).
/// </summary>
public sealed class DecoderGraph
{
    private readonly Dictionary<string, Value> _named = [];

    /// <param name="plan">A plan made for an earlier graph of the same <see cref="ForwardRequest.PlanKey"/> (the cache position does not change it); null plans this one.</param>
    public DecoderGraph(ModelWeights weights, LoraAdapter? adapter, KvCache cache, ForwardRequest request, BufferPlan? plan = null)
    {
        var c = weights.Config;
        if (cache.Batch != request.Batch) throw new ArgumentException($"cache batch {cache.Batch} differs from the request's {request.Batch}");
        int rows = request.Batch * request.Length;
        Graph = new ComputeGraph();
        var g = Graph;

        Ids = g.Input("ids", new Shape(rows), DType.I32);
        Positions = g.Input("positions", new Shape(rows), DType.I32);
        var keyMask = g.External("key_mask", cache.KeyMask);

        var hidden = Named(g.Embedding(Ids, g.External("tok_embeddings", weights.Embedding), "hidden.embed"));
        if (request.SplicedRowCount > 0)
        {
            SpliceRows = g.Input("splice_rows", new Shape(request.SplicedRowCount), DType.I32);
            SpliceValues = g.Input("splice_values", new Shape(request.SplicedRowCount, c.HiddenSize), DType.F32);
            g.ScatterRows(SpliceValues, SpliceRows, hidden);
        }

        var layout = new AttentionLayout(request.Batch, request.Length, request.Start, c.Heads, c.KvHeads, c.HeadDim, 1f / MathF.Sqrt(c.HeadDim));
        for (int i = 0; i < c.Layers; i++)
        {
            var lw = weights.Layers[i];
            string p = $"layer{i}.";
            Value Linear(LinearSlot slot, Value x, string name)
            {
                var w = g.External($"layers.{i}.{slot.EngineName()}", lw[slot]);
                if (adapter is not null && adapter.TryGet(i, slot, out var a, out var b))
                    return g.LoraLinear(x, w, g.External($"lora.{i}.{slot}.a", a), g.External($"lora.{i}.{slot}.b", b), adapter.Scale, name);
                return g.MatMul(x, w, name);
            }

            var normed = Named(g.RmsNorm(hidden, g.External($"layers.{i}.attn_norm", lw.AttnNorm), c.RmsNormEps, p + "attn_norm"));
            var q = Named(g.Rope(Linear(LinearSlot.Q, normed, p + "q"), Positions, c.HeadDim, c.RopeTheta, p + "q_rope"));
            var k = Named(g.Rope(Linear(LinearSlot.K, normed, p + "k"), Positions, c.HeadDim, c.RopeTheta, p + "k_rope"));
            var v = Linear(LinearSlot.V, normed, p + "v");
            var keyCache = g.External($"cache.{i}.k", cache.Keys[i]);
            var valueCache = g.External($"cache.{i}.v", cache.Values[i]);
            g.WriteCache(k, keyCache, request.Start);
            g.WriteCache(v, valueCache, request.Start);
            var attn = Named(g.Attention(q, keyCache, valueCache, keyMask, layout, p + "attn"));
            hidden = g.Add(hidden, Linear(LinearSlot.O, attn, p + "o"), p + "attn_residual");

            var mlpIn = g.RmsNorm(hidden, g.External($"layers.{i}.mlp_norm", lw.MlpNorm), c.RmsNormEps, p + "mlp_norm");
            var act = g.SwiGlu(Linear(LinearSlot.Gate, mlpIn, p + "gate"), Linear(LinearSlot.Up, mlpIn, p + "up"), p + "swiglu");
            var mlp = Named(Linear(LinearSlot.Down, act, p + "mlp"));
            hidden = Named(g.Add(hidden, mlp, $"hidden.layer{i}"));
        }

        Hidden = Named(g.RmsNorm(hidden, g.External("norm", weights.Norm), c.RmsNormEps, "hidden.final_norm"));
        g.MarkOutput(Hidden);
        var lmHead = g.External("lm_head", weights.LmHead);
        switch (request.Logits)
        {
            case LogitsMode.AllRows:
                Logits = g.MatMul(Hidden, lmHead, "logits");
                break;
            case LogitsMode.SelectedRows:
                LogitRows = g.Input("logit_rows", new Shape(request.SelectedRowCount), DType.I32);
                Logits = g.MatMul(g.GatherRows(Hidden, LogitRows, "hidden.selected"), lmHead, "logits");
                break;
        }
        if (Logits is not null) g.MarkOutput(Logits);
        if (request.Trace)
            foreach (var v in _named.Values) g.MarkOutput(v);
        Plan = plan ?? BufferPlan.Create(g);
    }

    public ComputeGraph Graph { get; }
    public BufferPlan Plan { get; }
    public Value Ids { get; }
    public Value Positions { get; }
    public Value? LogitRows { get; }
    public Value? SpliceRows { get; }
    public Value? SpliceValues { get; }
    public Value Hidden { get; }
    public Value? Logits { get; }

    /// <summary>Intermediate activations by the names the PyTorch oracle uses (outputs only when traced).</summary>
    public IReadOnlyDictionary<string, Value> NamedValues => _named;

    private Value Named(Value v)
    {
        _named[v.Name] = v;
        return v;
    }
}
