using Clara.Engine.Backends;

namespace Clara.Engine.Graph;

// One node type per kernel of IKernels; each only forwards to the backend, so the graph stays backend-neutral.

internal sealed class EmbeddingNode(Value ids, Value table, Value output) : Node("embedding", [ids, table], output)
{
    public override void Execute(IKernels k, IValueBinding v) => k.Embedding(v[Reads[0]], v[Reads[1]], v[Writes!]);

    internal override void Backward(GradientBuilder g)
    {
        var table = Reads[1];
        var grad = g.Materialize(Writes!);
        if (grad is null || !g.Needs(table)) return;
        g.Graph.Append(new ScatterAddRowsNode(grad, Reads[0], g.Accumulator(table)));
    }
}

internal sealed class RmsNormNode(Value input, Value weight, float eps, Value output) : Node("rmsnorm", [input, weight], output)
{
    public float Eps { get; } = eps;
    public override void Execute(IKernels k, IValueBinding v) => k.RmsNorm(v[Reads[0]], v[Reads[1]], Eps, v[Writes!]);
    internal override Node Recompute(RecomputeMap m) => new RmsNormNode(m[Reads[0]], m[Reads[1]], Eps, m.Output(Writes!));

    internal override void Backward(GradientBuilder g)
    {
        var grad = g.Materialize(Writes!);
        if (grad is null) return;
        Value input = Reads[0], weight = Reads[1];
        var gradInput = g.Graph.Intermediate("grad:" + input.Name, input.Shape);
        g.Graph.Append(new RmsNormBackwardNode(input, weight, Eps, grad, gradInput, g.Needs(weight) ? g.Accumulator(weight) : null));
        g.Contribute(input, gradInput);
    }
}

internal sealed class MatMulNode(Value input, Value weight, Value output) : Node("matmul", [input, weight], output)
{
    public override void Execute(IKernels k, IValueBinding v) => k.MatMul(v[Reads[0]], v[Reads[1]], v[Writes!]);
    internal override Node Recompute(RecomputeMap m) => new MatMulNode(m[Reads[0]], m[Reads[1]], m.Output(Writes!));

    // y = x·Wᵀ: dx = dy·W, dW = dyᵀ·x.
    internal override void Backward(GradientBuilder g)
    {
        var grad = g.Materialize(Writes!);
        if (grad is null) return;
        g.ContributeProduct(Reads[0], grad, false, Reads[1], false, 1f);
        g.ContributeProduct(Reads[1], grad, true, Reads[0], false, 1f);
    }
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

    internal override Node Recompute(RecomputeMap m) =>
        new LoraLinearNode(m[Reads[0]], m[Reads[1]], m[Reads[2]], m[Reads[3]], Scale, m.Output(Writes!));

    // y = x·Wᵀ + s·d·Bᵀ with d = x·Aᵀ (the down node's own rule carries dd on to x and A).
    internal override void Backward(GradientBuilder g)
    {
        var grad = g.Materialize(Writes!);
        if (grad is null) return;
        Value x = Reads[0], w = Reads[1], down = Reads[2], b = Reads[3];
        g.ContributeProduct(x, grad, false, w, false, 1f);
        g.ContributeProduct(w, grad, true, x, false, 1f);
        g.ContributeProduct(down, grad, false, b, false, Scale);
        g.ContributeProduct(b, grad, true, down, false, Scale);
    }
}

internal sealed class RopeNode(Value input, Value positions, int headDim, float theta, Value output) : Node("rope", [input, positions], output)
{
    public int HeadDim { get; } = headDim;
    public float Theta { get; } = theta;
    public override void Execute(IKernels k, IValueBinding v) => k.Rope(v[Reads[0]], v[Reads[1]], HeadDim, Theta, v[Writes!]);
    internal override Node Recompute(RecomputeMap m) => new RopeNode(m[Reads[0]], m[Reads[1]], HeadDim, Theta, m.Output(Writes!));

    internal override void Backward(GradientBuilder g)
    {
        var grad = g.Materialize(Writes!);
        if (grad is null) return;
        var gradInput = g.Graph.Intermediate("grad:" + Reads[0].Name, Reads[0].Shape);
        g.Graph.Append(new RopeBackwardNode(grad, Reads[1], HeadDim, Theta, gradInput));
        g.Contribute(Reads[0], gradInput);
    }
}

internal sealed class WriteCacheNode(Value source, Value cache, int start) : Node("write_cache", [source, cache], (Value?)null)
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
    internal override Node Recompute(RecomputeMap m) => new SwiGluNode(m[Reads[0]], m[Reads[1]], m.Output(Writes!));

    internal override void Backward(GradientBuilder g)
    {
        var grad = g.Materialize(Writes!);
        if (grad is null) return;
        Value gate = Reads[0], up = Reads[1];
        var gradGate = g.Graph.Intermediate("grad:" + gate.Name, gate.Shape);
        var gradUp = g.Graph.Intermediate("grad:" + up.Name, up.Shape);
        g.Graph.Append(new SwiGluBackwardNode(gate, up, grad, gradGate, gradUp));
        g.Contribute(gate, gradGate);
        g.Contribute(up, gradUp);
    }
}

internal sealed class AddNode(Value a, Value b, Value output) : Node("add", [a, b], output)
{
    public override void Execute(IKernels k, IValueBinding v) => k.Add(v[Reads[0]], v[Reads[1]], v[Writes!]);
    internal override Node Recompute(RecomputeMap m) => new AddNode(m[Reads[0]], m[Reads[1]], m.Output(Writes!));

    // Both inputs receive the output's gradient itself, shared, so neither may add into it in place.
    internal override void Backward(GradientBuilder g)
    {
        if (g.Of(Writes!) is not { } grad) return;
        foreach (var input in Reads)
        {
            if (grad.IsConstant) g.ContributeConstant(input, grad.Constant);
            else g.Contribute(input, grad.Tensor!, owned: false);
        }
    }
}

internal sealed class LogSoftmaxNode(Value input, Value output) : Node("log_softmax", [input], output)
{
    public override void Execute(IKernels k, IValueBinding v) => k.LogSoftmax(v[Reads[0]], v[Writes!]);
}

internal sealed class GatherRowsNode(Value input, Value rows, Value output) : Node("gather_rows", [input, rows], output)
{
    public override void Execute(IKernels k, IValueBinding v) => k.GatherRows(v[Reads[0]], v[Reads[1]], v[Writes!]);

    internal override void Backward(GradientBuilder g)
    {
        var grad = g.Materialize(Writes!);
        if (grad is null || !g.Needs(Reads[0])) return;
        g.Graph.Append(new ScatterAddRowsNode(grad, Reads[1], g.Accumulator(Reads[0])));
    }
}

/// <summary>Overwrites rows of <paramref name="target"/> in place; the target is both read and updated.</summary>
internal sealed class ScatterRowsNode(Value source, Value rows, Value target) : Node("scatter_rows", [source, rows, target], (Value?)null)
{
    public override void Execute(IKernels k, IValueBinding v) => k.ScatterRows(v[Reads[0]], v[Reads[1]], v[Reads[2]]);
}
