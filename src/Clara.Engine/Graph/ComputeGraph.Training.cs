using Clara.Engine.Backends;
using Clara.Engine.Tensors;

namespace Clara.Engine.Graph;

// The forward helpers training graphs add: trainable parameters, views, products with transpose flags, out-of-place
// row splicing, whole-sequence attention with its log-sum-exp, and the losses. None writes a value in place, so every
// activation a backward rule reads is still intact when it runs.
public sealed partial class ComputeGraph
{
    /// <summary>A trainable tensor of a parameter store; backward accumulates into its gradient view.</summary>
    public Value Parameter(Training.Parameter parameter) =>
        NewValue(parameter.Name, parameter.Shape, DType.F32, ValueKind.Parameter, parameter.Value, parameter);

    /// <summary>The same elements seen with another shape (no copy).</summary>
    public Value Reshape(Value input, Shape shape, string? name = null)
    {
        Expect(shape.ElementCount == input.Shape.ElementCount, $"cannot reshape {input} to {shape}");
        var alias = NewValue(name ?? input.Name + ".view", shape, input.DType, input.Root.Kind, null, aliasOf: input);
        _nodes.Add(new ReshapeNode(input, alias));
        return alias;
    }

    /// <summary>alpha · op(a) · op(b), op(x) = xᵀ when its flag is set (see <see cref="IKernels.Gemm"/>).</summary>
    public Value Gemm(Value a, bool transposeA, Value b, bool transposeB, string name, float alpha = 1f)
    {
        var (m, k) = GemmNode.Operand(a, transposeA);
        var (k2, n) = GemmNode.Operand(b, transposeB);
        Expect(k == k2, $"gemm: op({a}) has {k} columns but op({b}) has {k2} rows");
        return Add(new GemmNode(a, transposeA, b, transposeB, alpha, Intermediate(name, new Shape(m, n)), accumulate: false));
    }

    /// <summary>a + alpha · b (same element count).</summary>
    public Value AddScaled(Value a, Value b, float alpha, string name)
    {
        Expect(a.Shape.ElementCount == b.Shape.ElementCount, $"cannot add {b} to {a}");
        return Add(new AddScaledNode(a, b, alpha, Intermediate(name, a.Shape)));
    }

    /// <summary>alpha · input: <see cref="AddScaled"/> onto zeros, so it needs no kernel or gradient rule of its own.</summary>
    public Value Scale(Value input, float alpha, string name) =>
        AddScaled(Add(new FillNode(0f, Intermediate(name + ".zeros", input.Shape))), input, alpha, name);

    /// <summary>scale · Σ input, shape [1].</summary>
    public Value Sum(Value input, float scale, string name) => Add(new SumNode(input, scale, Intermediate(name, new Shape(1))));

    /// <summary>A copy of <paramref name="target"/> whose rows <paramref name="rows"/>[i] are <paramref name="source"/>[i] (out of place).</summary>
    public Value SpliceRows(Value target, Value rows, Value source, string name)
    {
        Expect(source.Shape.Rank == 2 && target.Shape.Rank == 2 && source.Shape[1] == target.Shape[1], $"cannot splice {source} into {target}");
        Expect(rows.Shape.ElementCount == source.Shape[0], $"splice rows {rows} do not match {source}");
        return Add(new SpliceRowsNode(target, rows, source, Intermediate(name, target.Shape)));
    }

    /// <summary>
    /// Causal GQA attention over whole sequences with K/V as values (no cache): query [batch·T, heads·headDim],
    /// key/value [batch·T, kvHeads·headDim], keyMask I32 [batch, T]. Saves the log-sum-exp for backward.
    /// </summary>
    public Value SequenceAttention(Value query, Value key, Value value, Value keyMask, AttentionLayout layout, string name)
    {
        layout.Validate();
        Expect(layout.Start == 0, $"sequence attention starts at 0, the layout says {layout.Start}");
        Expect(query.Shape.Rows == (long)layout.Batch * layout.QueryLength && query.Shape[-1] == layout.Heads * layout.HeadDim,
            $"attention query {query} does not match {layout}");
        Expect(key.Shape.Equals(value.Shape) && key.Shape[-1] == layout.KvHeads * layout.HeadDim && key.Shape.Rows == query.Shape.Rows,
            $"attention key {key} / value {value} do not match {layout}");
        var lse = Intermediate(name + ".lse", new Shape(layout.Batch, layout.Heads, layout.QueryLength));
        return Add(new SequenceAttentionNode(query, key, value, keyMask, layout, Intermediate(name, query.Shape), lse));
    }

    /// <summary>Mean over the rows of −log softmax(logits)[target]: logits [rows, vocab], targets I32 [rows] (no ignored rows).</summary>
    public Value MeanCrossEntropy(Value logits, Value targets, string name)
    {
        Expect(logits.Shape.Rank == 2 && targets.Shape.ElementCount == logits.Shape[0], $"targets {targets} do not match logits {logits}");
        int rows = logits.Shape[0];
        return Add(new MeanCrossEntropyNode(logits, targets, Intermediate(name, new Shape(1)),
            Intermediate(name + ".losses", new Shape(rows)), Intermediate(name + ".lse", new Shape(rows))));
    }

    /// <summary>§2 alignment loss per document: hidden [batch, length, width], roles I32 [batch, length] → mse [batch].</summary>
    public Value AlignmentLoss(Value hidden, Value roles, string name)
    {
        Expect(hidden.Shape.Rank == 3 && roles.Shape.ElementCount == (long)hidden.Shape[0] * hidden.Shape[1], $"roles {roles} do not match hidden {hidden}");
        var means = new Shape(hidden.Shape[0], hidden.Shape[2]);
        return Add(new AlignmentLossNode(hidden, roles, Intermediate(name, new Shape(hidden.Shape[0])),
            Intermediate(name + ".doc_mean", means), Intermediate(name + ".mem_mean", means)));
    }

    /// <summary>cos(query, candidates[i]): query [dim], candidates [count, dim] → [count].</summary>
    public Value CosineScores(Value query, Value candidates, string name)
    {
        Expect(candidates.Shape.Rank == 2 && query.Shape.ElementCount == candidates.Shape[1], $"query {query} does not match candidates {candidates}");
        return Add(new CosineScoresNode(query, candidates, Intermediate(name, new Shape(candidates.Shape[0]))));
    }

    /// <summary>§4: W [batch, k, n] whose forward value is the hard selection and whose gradient is the soft one.</summary>
    public Value StraightThroughTopK(Value scores, int k, float temperature, string name)
    {
        Expect(scores.Shape.Rank == 2 && k >= 1 && k <= scores.Shape[1], $"cannot take the top {k} of {scores}");
        var weights = new Shape(scores.Shape[0], k, scores.Shape[1]);
        var indices = NewValue(name + ".indices", new Shape(scores.Shape[0], k), DType.I32, ValueKind.Intermediate, null);
        return Add(new StraightThroughTopKNode(scores, k, temperature, Intermediate(name, weights), Intermediate(name + ".soft", weights), indices));
    }
}
