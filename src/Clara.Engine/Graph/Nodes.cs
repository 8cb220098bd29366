using Clara.Engine.Backends;

namespace Clara.Engine.Graph;

// One node type per kernel of IKernels; each only forwards to the backend, so the graph stays backend-neutral.

internal sealed class EmbeddingNode(Value ids, Value table, Value output) : Node("embedding", [ids, table], output)
{
    public override void Execute(IKernels k, IValueBinding v) => k.Embedding(v[Reads[0]], v[Reads[1]], v[Writes!]);
}

internal sealed class RmsNormNode(Value input, Value weight, float eps, Value output) : Node("rmsnorm", [input, weight], output)
{
    public float Eps { get; } = eps;
    public override void Execute(IKernels k, IValueBinding v) => k.RmsNorm(v[Reads[0]], v[Reads[1]], Eps, v[Writes!]);
}

internal sealed class MatMulNode(Value input, Value weight, Value output) : Node("matmul", [input, weight], output)
{
    public override void Execute(IKernels k, IValueBinding v) => k.MatMul(v[Reads[0]], v[Reads[1]], v[Writes!]);
}

/// <summary>y = x·Wᵀ + scale · (x·Aᵀ)·Bᵀ, with x·Aᵀ computed by an earlier node (<paramref name="down"/>).</summary>
internal sealed class LoraLinearNode(Value input, Value weight, Value down, Value loraB, float scale, Value output)
    : Node("lora_linear", [input, weight, down, loraB], output)
{
    public float Scale { get; } = scale;
    public override void Execute(IKernels k, IValueBinding v)
    {
        var y = v[Writes!];
        k.MatMul(v[Reads[0]], v[Reads[1]], y);
        k.MatMul(v[Reads[2]], v[Reads[3]], y, Scale, 1f);
    }
}

internal sealed class RopeNode(Value input, Value positions, int headDim, float theta, Value output) : Node("rope", [input, positions], output)
{
    public int HeadDim { get; } = headDim;
    public float Theta { get; } = theta;
    public override void Execute(IKernels k, IValueBinding v) => k.Rope(v[Reads[0]], v[Reads[1]], HeadDim, Theta, v[Writes!]);
}

internal sealed class WriteCacheNode(Value source, Value cache, int start) : Node("write_cache", [source, cache], null)
{
    public int Start { get; } = start;
    public override void Execute(IKernels k, IValueBinding v) => k.WriteCache(v[Reads[0]], v[Reads[1]], Start);
}

internal sealed class AttentionNode(Value query, Value keyCache, Value valueCache, Value keyMask, AttentionLayout layout, Value output)
    : Node("attention", [query, keyCache, valueCache, keyMask], output)
{
    public AttentionLayout Layout { get; } = layout;
    public override void Execute(IKernels k, IValueBinding v) =>
        k.Attention(v[Reads[0]], v[Reads[1]], v[Reads[2]], v[Reads[3]], Layout, v[Writes!]);
}

internal sealed class SwiGluNode(Value gate, Value up, Value output) : Node("swiglu", [gate, up], output)
{
    public override void Execute(IKernels k, IValueBinding v) => k.SwiGlu(v[Reads[0]], v[Reads[1]], v[Writes!]);
}

internal sealed class AddNode(Value a, Value b, Value output) : Node("add", [a, b], output)
{
    public override void Execute(IKernels k, IValueBinding v) => k.Add(v[Reads[0]], v[Reads[1]], v[Writes!]);
}

internal sealed class LogSoftmaxNode(Value input, Value output) : Node("log_softmax", [input], output)
{
    public override void Execute(IKernels k, IValueBinding v) => k.LogSoftmax(v[Reads[0]], v[Writes!]);
}

internal sealed class GatherRowsNode(Value input, Value rows, Value output) : Node("gather_rows", [input, rows], output)
{
    public override void Execute(IKernels k, IValueBinding v) => k.GatherRows(v[Reads[0]], v[Reads[1]], v[Writes!]);
}

/// <summary>Overwrites rows of <paramref name="target"/> in place; the target is both read and updated.</summary>
internal sealed class ScatterRowsNode(Value source, Value rows, Value target) : Node("scatter_rows", [source, rows, target], null)
{
    public override void Execute(IKernels k, IValueBinding v) => k.ScatterRows(v[Reads[0]], v[Reads[1]], v[Reads[2]]);
}
