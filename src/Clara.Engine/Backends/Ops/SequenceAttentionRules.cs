using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Ops;

/// <summary>
/// Operand rules of <see cref="IKernels.SequenceAttention"/> and <see cref="IKernels.SequenceAttentionBackward"/>:
/// whole sequences, no cache, so the layout must start at 0 and keys/values have one row per query row.
/// </summary>
public static class SequenceAttentionRules
{
    public static void Check(Tensor query, Tensor key, Tensor value, Tensor keyMask, AttentionLayout layout, Tensor output, Tensor logSumExp)
    {
        CheckInputs(query, key, value, keyMask, layout, "sequence-attention");
        CheckSameAs(output, query, "sequence-attention output", "query");
        CheckLogSumExp(logSumExp, layout, "sequence-attention");
    }

    public static void CheckBackward(Tensor query, Tensor key, Tensor value, Tensor keyMask, AttentionLayout layout, Tensor output,
        Tensor logSumExp, Tensor gradOutput, Tensor gradQuery, Tensor gradKey, Tensor gradValue)
    {
        const string op = "sequence-attention-backward";
        CheckInputs(query, key, value, keyMask, layout, op);
        CheckSameAs(output, query, $"{op} output", "query");
        CheckLogSumExp(logSumExp, layout, op);
        CheckSameAs(gradOutput, query, $"{op} gradOutput", "query");
        CheckSameAs(gradQuery, query, $"{op} gradQuery", "query");
        CheckSameAs(gradKey, key, $"{op} gradKey", "key");
        CheckSameAs(gradValue, value, $"{op} gradValue", "value");
    }

    private static void CheckInputs(Tensor query, Tensor key, Tensor value, Tensor keyMask, AttentionLayout layout, string op)
    {
        ArgumentNullException.ThrowIfNull(layout);
        layout.Validate();
        if (layout.Start != 0) throw new ArgumentException($"{op} layout {layout} must start at 0 (whole sequences, no cache)");
        OperandDTypes.RequireF32(query, $"{op} query");
        OperandDTypes.RequireF32(key, $"{op} key");
        OperandDTypes.RequireF32(value, $"{op} value");
        OperandDTypes.RequireI32(keyMask, $"{op} keyMask");
        long rows = (long)layout.Batch * layout.QueryLength;
        int qWidth = layout.Heads * layout.HeadDim, kvWidth = layout.KvHeads * layout.HeadDim;
        if (query.Shape.Rank < 1 || query.Shape.Rows != rows || query.Shape[-1] != qWidth)
            throw new ArgumentException($"{op} query {query.Shape} should be [{rows}, {qWidth}] for {layout}");
        if (key.Shape.Rank < 1 || key.Shape.Rows != rows || key.Shape[-1] != kvWidth)
            throw new ArgumentException($"{op} key {key.Shape} should be [{rows}, {kvWidth}] for {layout}");
        if (value.Shape.Rank < 1 || value.Shape.Rows != rows || value.Shape[-1] != kvWidth)
            throw new ArgumentException($"{op} value {value.Shape} should be [{rows}, {kvWidth}] for {layout}");
        if (keyMask.ElementCount != rows) throw new ArgumentException($"{op} keyMask {keyMask.Shape} should be [{layout.Batch}, {layout.QueryLength}]");
    }

    private static void CheckLogSumExp(Tensor logSumExp, AttentionLayout layout, string op)
    {
        OperandDTypes.RequireF32(logSumExp, $"{op} logSumExp");
        OperandDTypes.RequireSameCount(logSumExp, (long)layout.Batch * layout.Heads * layout.QueryLength, $"{op} logSumExp",
            $"[{layout.Batch}, {layout.Heads}, {layout.QueryLength}]");
    }

    private static void CheckSameAs(Tensor t, Tensor reference, string operand, string referenceName)
    {
        OperandDTypes.RequireF32(t, operand);
        OperandDTypes.RequireSameCount(t, reference.ElementCount, operand, $"{referenceName} {reference.Shape}");
    }
}
