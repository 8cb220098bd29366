using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Ops;

/// <summary>Sizes of one straight-through top-k: <see cref="Batch"/> rows of <see cref="Count"/> scores, <see cref="K"/> picks each.</summary>
public readonly record struct TopKShape(int Batch, int Count, int K);

/// <summary>Operand rules of <see cref="IKernels.StraightThroughTopK"/> and <see cref="IKernels.StraightThroughTopKBackward"/>.</summary>
public static class TopKRules
{
    public static TopKShape Check(Tensor scores, int k, float temperature, Tensor hard, Tensor soft, Tensor indices)
    {
        OperandDTypes.RequireF32(scores, "top-k scores");
        OperandDTypes.RequireF32(hard, "top-k hard");
        OperandDTypes.RequireF32(soft, "top-k soft");
        OperandDTypes.RequireI32(indices, "top-k indices");
        var (batch, n) = Rows(scores, "top-k scores");
        if (k < 1 || k > n) throw new ArgumentOutOfRangeException(nameof(k), $"top-k k = {k} must be in [1, {n}] (scores {scores.Shape})");
        Temperature(temperature, "top-k");
        long weights = (long)batch * k * n;
        OperandDTypes.RequireSameCount(hard, weights, "top-k hard", $"[{batch}, {k}, {n}]");
        OperandDTypes.RequireSameCount(soft, weights, "top-k soft", $"[{batch}, {k}, {n}]");
        OperandDTypes.RequireSameCount(indices, (long)batch * k, "top-k indices", $"[{batch}, {k}]");
        return new TopKShape(batch, n, k);
    }

    public static TopKShape CheckBackward(Tensor soft, Tensor gradWeights, float temperature, Tensor gradScores)
    {
        OperandDTypes.RequireF32(soft, "top-k-backward soft");
        OperandDTypes.RequireF32(gradWeights, "top-k-backward gradWeights");
        OperandDTypes.RequireF32(gradScores, "top-k-backward gradScores");
        var (batch, n) = Rows(gradScores, "top-k-backward gradScores");
        Temperature(temperature, "top-k-backward");
        if (batch == 0 || soft.ElementCount % ((long)batch * n) != 0 || soft.ElementCount == 0)
            throw new ArgumentException($"top-k-backward soft {soft.Shape} is not [{batch}, k, {n}] (gradScores {gradScores.Shape})");
        long k = soft.ElementCount / ((long)batch * n);
        if (k > n) throw new ArgumentException($"top-k-backward soft {soft.Shape} holds k = {k} > {n} slots");
        OperandDTypes.RequireSameCount(gradWeights, soft.ElementCount, "top-k-backward gradWeights", $"soft {soft.Shape}");
        return new TopKShape(batch, n, (int)k);
    }

    private static (int Batch, int Count) Rows(Tensor t, string operand)
    {
        if (t.Shape.Rank < 1 || t.Shape[-1] == 0 || t.Shape.Rows > int.MaxValue)
            throw new ArgumentException($"{operand} {t.Shape} must be [batch, n] with n ≥ 1");
        return ((int)t.Shape.Rows, t.Shape[-1]);
    }

    private static void Temperature(float temperature, string op)
    {
        if (!float.IsFinite(temperature) || temperature < 0)
            throw new ArgumentOutOfRangeException(nameof(temperature), $"{op} temperature {temperature} must be finite and ≥ 0 (it is floored at 1e-6)");
    }
}
