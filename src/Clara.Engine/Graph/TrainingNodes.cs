using Clara.Engine.Backends;

namespace Clara.Engine.Graph;

// Forward nodes of training graphs, each with its gradient rule. None updates a value it did not create.

/// <summary>A view of its input with another shape; nothing runs. Its gradient is the same view of the output's.</summary>
internal sealed class ReshapeNode(Value input, Value alias) : Node("reshape", [input], alias)
{
    public override void Execute(IKernels k, IValueBinding v) { }

    internal override void Backward(GradientBuilder g)
    {
        var input = Reads[0];
        if (g.Of(Writes!) is not { } grad) return;
        if (grad.IsConstant) g.ContributeConstant(input, grad.Constant);
        else g.Contribute(input, g.Graph.Reshape(grad.Tensor!, input.Shape), owned: false);
    }
}

/// <summary>
/// output = alpha · op(a) · op(b) (+ output when accumulating: the backward rules add products into gradients with it).
/// </summary>
internal sealed class GemmNode(Value a, bool transposeA, Value b, bool transposeB, float alpha, Value output, bool accumulate)
    : Node(accumulate ? "gemm_acc" : "gemm", accumulate ? [a, b, output] : [a, b], output)
{
    public bool TransposeA { get; } = transposeA;
    public bool TransposeB { get; } = transposeB;
    public float Alpha { get; } = alpha;
    public bool Accumulate { get; } = accumulate;

    /// <summary>[rows, cols] of op(x).</summary>
    internal static (int Rows, int Cols) Operand(Value x, bool transposed)
    {
        ComputeGraph.Expect(x.Shape.Rank == 2, $"gemm operand {x} is not a matrix");
        return transposed ? (x.Shape[1], x.Shape[0]) : (x.Shape[0], x.Shape[1]);
    }

    public override void Execute(IKernels k, IValueBinding v) =>
        k.Gemm(v[Reads[0]], TransposeA, v[Reads[1]], TransposeB, v[Writes!], Alpha, Accumulate ? 1f : 0f);

    // C = α·op(A)·op(B): dA = α·dC·op(B)ᵀ (transposed back when A was), dB = α·op(A)ᵀ·dC (likewise).
    internal override void Backward(GradientBuilder g)
    {
        if (Accumulate) throw new NotSupportedException("an accumulating product belongs to a backward pass and has no gradient rule");
        var dc = g.Materialize(Writes!);
        if (dc is null) return;
        Value a = Reads[0], b = Reads[1];
        if (!TransposeA) g.ContributeProduct(a, dc, false, b, !TransposeB, Alpha);
        else g.ContributeProduct(a, b, TransposeB, dc, true, Alpha);
        if (!TransposeB) g.ContributeProduct(b, a, !TransposeA, dc, false, Alpha);
        else g.ContributeProduct(b, dc, true, a, TransposeA, Alpha);
    }
}

/// <summary>output = a + alpha · b. With output = a it adds in place (backward accumulation only).</summary>
internal sealed class AddScaledNode(Value a, Value b, float alpha, Value output) : Node("add_scaled", [a, b], output)
{
    public float Alpha { get; } = alpha;
    public override void Execute(IKernels k, IValueBinding v) => k.AddScaled(v[Reads[0]], v[Reads[1]], Alpha, v[Writes!]);

    internal override void Backward(GradientBuilder g)
    {
        if (ReferenceEquals(Reads[0], Writes)) throw new NotSupportedException("an in-place accumulation has no gradient rule");
        if (g.Of(Writes!) is not { } grad) return;
        if (grad.IsConstant)
        {
            g.ContributeConstant(Reads[0], grad.Constant);
            g.ContributeConstant(Reads[1], grad.Constant * Alpha);
            return;
        }
        g.Contribute(Reads[0], grad.Tensor!, owned: false);
        if (!g.Needs(Reads[1])) return;
        var scaled = g.Fill(Reads[1].Shape, 0f, "grad:" + Reads[1].Name);
        g.Graph.Append(new AddScaledNode(scaled, grad.Tensor!, Alpha, scaled));
        g.Contribute(Reads[1], scaled);
    }
}

/// <summary>output [1] = scale · Σ input.</summary>
internal sealed class SumNode(Value input, float scale, Value output) : Node("sum", [input], output)
{
    public float Scale { get; } = scale;
    public override void Execute(IKernels k, IValueBinding v) => k.Sum(v[Reads[0]], Scale, v[Writes!]);

    internal override void Backward(GradientBuilder g)
    {
        if (g.Of(Writes!) is not { } grad) return;
        if (grad.IsConstant) { g.ContributeConstant(Reads[0], grad.Constant * Scale); return; }
        // A gradient value broadcast over the input: ones[n, 1] · g[1, 1].
        var ones = g.Fill(new Tensors.Shape((int)Reads[0].Shape.ElementCount, 1), 1f, "ones");
        g.ContributeProduct(Reads[0], ones, false, g.Graph.Reshape(grad.Tensor!, new Tensors.Shape(1, 1)), false, Scale);
    }
}

/// <summary>A copy of target with rows[i] replaced by source[i]: CLaRa's memory slots, out of place so the embedding output survives.</summary>
internal sealed class SpliceRowsNode(Value target, Value rows, Value source, Value output) : Node("splice_rows", [target, rows, source], output)
{
    public override void Execute(IKernels k, IValueBinding v)
    {
        var o = v[Writes!];
        k.Fill(o, 0f);
        k.AddScaled(o, v[Reads[0]], 1f, o);
        k.ScatterRows(v[Reads[2]], v[Reads[1]], o);
    }

    internal override void Backward(GradientBuilder g)
    {
        var grad = g.Materialize(Writes!);
        if (grad is null) return;
        Value target = Reads[0], rows = Reads[1], source = Reads[2];
        if (g.Needs(source)) g.Contribute(source, g.Graph.GatherRows(grad, rows, "grad:" + source.Name));
        if (g.Needs(target))
        {
            // The replaced rows received nothing from the target: its gradient is the output's with them zeroed.
            var own = g.Fill(target.Shape, 0f, "grad:" + target.Name);
            g.Graph.Append(new AddScaledNode(own, grad, 1f, own));
            g.Graph.Append(new ScatterRowsNode(g.Fill(source.Shape, 0f, "zeros"), rows, own));
            g.Contribute(target, own);
        }
    }
}

internal sealed class SequenceAttentionNode(Value query, Value key, Value value, Value keyMask, AttentionLayout layout, Value output, Value logSumExp)
    : Node("sequence_attention", [query, key, value, keyMask], [output, logSumExp])
{
    public AttentionLayout Layout { get; } = layout;

    public override void Execute(IKernels k, IValueBinding v) =>
        k.SequenceAttention(v[Reads[0]], v[Reads[1]], v[Reads[2]], v[Reads[3]], Layout, v[Outputs[0]], v[Outputs[1]]);

    internal override Node Recompute(RecomputeMap m) =>
        new SequenceAttentionNode(m[Reads[0]], m[Reads[1]], m[Reads[2]], m[Reads[3]], Layout, m.Output(Outputs[0]), m.Output(Outputs[1]));

    internal override void Backward(GradientBuilder g)
    {
        var grad = g.Materialize(Outputs[0]);
        if (grad is null) return;
        Value q = Reads[0], key = Reads[1], value = Reads[2];
        var dq = g.Graph.Intermediate("grad:" + q.Name, q.Shape);
        var dk = g.Graph.Intermediate("grad:" + key.Name, key.Shape);
        var dv = g.Graph.Intermediate("grad:" + value.Name, value.Shape);
        g.Graph.Append(new SequenceAttentionBackwardNode(this, grad, dq, dk, dv));
        g.Contribute(q, dq);
        g.Contribute(key, dk);
        g.Contribute(value, dv);
    }
}

/// <summary>Mean cross-entropy over every row (outputs: the loss [1], each row's loss, each row's log-sum-exp).</summary>
internal sealed class MeanCrossEntropyNode(Value logits, Value targets, Value loss, Value losses, Value logSumExp)
    : Node("mean_cross_entropy", [logits, targets], [loss, losses, logSumExp])
{
    public const int IgnoreIndex = -100;

    public override void Execute(IKernels k, IValueBinding v)
    {
        k.CrossEntropy(v[Reads[0]], v[Reads[1]], IgnoreIndex, v[Outputs[1]], v[Outputs[2]]);
        k.Sum(v[Outputs[1]], 1f / Reads[1].Shape.ElementCount, v[Outputs[0]]);
    }

    internal override void Backward(GradientBuilder g)
    {
        if (g.Of(Outputs[0]) is not { } grad) return;
        if (!grad.IsConstant) throw new NotSupportedException("a cross-entropy loss must be a loss term (its upstream gradient a constant)");
        var logits = Reads[0];
        var dl = g.Graph.Intermediate("grad:" + logits.Name, logits.Shape);
        g.Graph.Append(new CrossEntropyBackwardNode(logits, Reads[1], Outputs[2], IgnoreIndex, grad.Constant / Reads[1].Shape.ElementCount, dl));
        g.Contribute(logits, dl);
    }
}

/// <summary>§2 alignment loss per document (outputs: mse [batch], then the two means the backward reads).</summary>
internal sealed class AlignmentLossNode(Value hidden, Value roles, Value mse, Value docMean, Value memMean)
    : Node("alignment_loss", [hidden, roles], [mse, docMean, memMean])
{
    public override void Execute(IKernels k, IValueBinding v) =>
        k.AlignmentLoss(v[Reads[0]], v[Reads[1]], v[Outputs[1]], v[Outputs[2]], v[Outputs[0]]);

    internal override void Backward(GradientBuilder g)
    {
        if (g.Of(Outputs[0]) is not { } grad) return;
        if (!grad.IsConstant) throw new NotSupportedException("the alignment loss must be a loss term (its upstream gradient a constant)");
        if (!g.Needs(Reads[0])) return;
        var acc = g.Accumulator(Reads[0]);
        g.Graph.Append(new AlignmentLossBackwardNode(Reads[1], Outputs[1], Outputs[2], grad.Constant, acc));
    }
}

internal sealed class CosineScoresNode(Value query, Value candidates, Value scores) : Node("cosine_scores", [query, candidates], scores)
{
    public override void Execute(IKernels k, IValueBinding v) => k.CosineScores(v[Reads[0]], v[Reads[1]], v[Writes!]);

    internal override void Backward(GradientBuilder g)
    {
        var grad = g.Materialize(Writes!);
        if (grad is null) return;
        if (g.Needs(Reads[0])) g.Graph.Append(new CosineScoresBackwardNode(Reads[0], Reads[1], grad, g.Accumulator(Reads[0])));
        if (g.Needs(Reads[1])) g.Graph.Append(new CosineScoresCandidatesBackwardNode(Reads[0], Reads[1], grad, g.Accumulator(Reads[1])));
    }
}

/// <summary>§4: outputs W's forward value (hard), the soft weights its gradient follows, and the indices.</summary>
internal sealed class StraightThroughTopKNode(Value scores, int k, float temperature, Value hard, Value soft, Value indices)
    : Node("straight_through_topk", [scores], [hard, soft, indices])
{
    public int K { get; } = k;
    public float Temperature { get; } = temperature;

    public override void Execute(IKernels k, IValueBinding v) =>
        k.StraightThroughTopK(v[Reads[0]], K, Temperature, v[Outputs[0]], v[Outputs[1]], v[Outputs[2]]);

    internal override void Backward(GradientBuilder g)
    {
        var grad = g.Materialize(Outputs[0]);
        if (grad is null) return;
        var ds = g.Graph.Intermediate("grad:" + Reads[0].Name, Reads[0].Shape);
        g.Graph.Append(new StraightThroughTopKBackwardNode(Outputs[1], grad, Temperature, ds));
        g.Contribute(Reads[0], ds);
    }
}
