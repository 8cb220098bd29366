using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Ops;

/// <summary>Sizes of one cosine-score backward: <see cref="Count"/> candidates of <see cref="Dim"/>.</summary>
public readonly record struct CosineBackwardShape(int Count, int Dim);

/// <summary>Operand rules of <see cref="IKernels.CosineScoresBackward"/> and <see cref="IKernels.CosineScoresBackwardCandidates"/>.</summary>
public static class CosineBackwardRules
{
    public static CosineBackwardShape Check(Tensor query, Tensor candidates, Tensor gradScores, Tensor gradQuery)
    {
        OperandDTypes.RequireF32(gradQuery, "cosine-backward gradQuery");
        var shape = CheckScoreOperands(query, candidates, gradScores);
        OperandDTypes.RequireSameCount(gradQuery, shape.Dim, "cosine-backward gradQuery", $"query {query.Shape}");
        return shape;
    }

    /// <summary>
    /// The candidates' gradient is trained F32 state (compressor output in a training graph), so the candidates must be
    /// F32 too; gradCandidates has their shape.
    /// </summary>
    public static CosineBackwardShape CheckCandidates(Tensor query, Tensor candidates, Tensor gradScores, Tensor gradCandidates)
    {
        OperandDTypes.RequireF32(candidates, "cosine-backward candidates");
        OperandDTypes.RequireF32(gradCandidates, "cosine-backward gradCandidates");
        var shape = CheckScoreOperands(query, candidates, gradScores);
        OperandDTypes.RequireSameCount(gradCandidates, (long)shape.Count * shape.Dim, "cosine-backward gradCandidates", $"candidates {candidates.Shape}");
        return shape;
    }

    /// <summary>What both backward directions read: the forward's query and candidates and the scores' gradient.</summary>
    private static CosineBackwardShape CheckScoreOperands(Tensor query, Tensor candidates, Tensor gradScores)
    {
        OperandDTypes.RequireF32(query, "cosine-backward query");
        OperandDTypes.RequireFloatStorage(candidates, "cosine-backward candidates");
        OperandDTypes.RequireF32(gradScores, "cosine-backward gradScores");
        if (query.ElementCount == 0 || query.ElementCount > int.MaxValue) throw new ArgumentException($"cosine-backward query {query.Shape} must hold between 1 and 2^31 values");
        int dim = (int)query.ElementCount;
        if (candidates.Shape.Rank < 1 || candidates.Shape[-1] != dim || candidates.Shape.Rows > int.MaxValue)
            throw new ArgumentException($"cosine-backward candidates {candidates.Shape} should be [count, {dim}] (query {query.Shape})");
        int count = (int)candidates.Shape.Rows;
        OperandDTypes.RequireSameCount(gradScores, count, "cosine-backward gradScores", $"candidates {candidates.Shape} (rows)");
        return new CosineBackwardShape(count, dim);
    }
}
