namespace Clara.Engine.Backends.Ops;

/// <summary>The operand rules of <see cref="IKernels.CosineScores"/>: query F32 [dim], candidates [count, dim] in any float storage, scores F32 [count].</summary>
public static class CosineRules
{
    /// <summary>Returns the candidate count and the vector length.</summary>
    public static (long Count, long Dim) CheckScores(Tensor query, Tensor candidates, Tensor scores)
    {
        OperandDTypes.RequireF32((query, "cosine query"), (scores, "cosine scores"));
        OperandDTypes.RequireFloatStorage(candidates, "cosine candidates");
        long dim = query.ElementCount, count = scores.ElementCount;
        if (candidates.Shape[-1] != dim || candidates.Shape.Rows != count)
            throw new ArgumentException($"cosine candidates {candidates.Shape} should be [{count}, {dim}]");
        return (count, dim);
    }
}
