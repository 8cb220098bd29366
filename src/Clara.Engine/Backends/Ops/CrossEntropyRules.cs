using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Ops;

/// <summary>Sizes of one softmax cross-entropy: <see cref="Rows"/> rows of <see cref="Vocab"/> logits.</summary>
public readonly record struct CrossEntropyShape(int Rows, int Vocab);

/// <summary>
/// Operand rules of <see cref="IKernels.CrossEntropy"/> and <see cref="IKernels.CrossEntropyBackward"/>. Targets are
/// data, checked by the kernel (a target outside [0, vocab) that is not the ignore index is out of range).
/// </summary>
public static class CrossEntropyRules
{
    public static CrossEntropyShape Check(Tensor logits, Tensor targets, Tensor losses, Tensor logSumExp)
    {
        var shape = Logits(logits, targets, "cross-entropy");
        OperandDTypes.RequireF32(losses, "cross-entropy losses");
        OperandDTypes.RequireF32(logSumExp, "cross-entropy logSumExp");
        OperandDTypes.RequireSameCount(losses, shape.Rows, "cross-entropy losses", $"logits {logits.Shape} (rows)");
        OperandDTypes.RequireSameCount(logSumExp, shape.Rows, "cross-entropy logSumExp", $"logits {logits.Shape} (rows)");
        return shape;
    }

    public static CrossEntropyShape CheckBackward(Tensor logits, Tensor targets, Tensor logSumExp, float scale, Tensor gradLogits)
    {
        var shape = Logits(logits, targets, "cross-entropy-backward");
        OperandDTypes.RequireF32(logSumExp, "cross-entropy-backward logSumExp");
        OperandDTypes.RequireF32(gradLogits, "cross-entropy-backward gradLogits");
        OperandDTypes.RequireSameCount(logSumExp, shape.Rows, "cross-entropy-backward logSumExp", $"logits {logits.Shape} (rows)");
        OperandDTypes.RequireSameCount(gradLogits, logits.ElementCount, "cross-entropy-backward gradLogits", $"logits {logits.Shape}");
        if (!float.IsFinite(scale)) throw new ArgumentOutOfRangeException(nameof(scale), $"cross-entropy-backward scale {scale} must be finite");
        return shape;
    }

    private static CrossEntropyShape Logits(Tensor logits, Tensor targets, string op)
    {
        OperandDTypes.RequireF32(logits, $"{op} logits");
        OperandDTypes.RequireI32(targets, $"{op} targets");
        if (logits.Shape.Rank < 1 || logits.Shape[-1] == 0) throw new ArgumentException($"{op} logits {logits.Shape} must be [rows, vocab] with vocab ≥ 1");
        if (logits.Shape.Rows > int.MaxValue) throw new ArgumentException($"{op} logits {logits.Shape} exceed 2^31 rows");
        int rows = (int)logits.Shape.Rows;
        OperandDTypes.RequireSameCount(targets, rows, $"{op} targets", $"logits {logits.Shape} (rows)");
        return new CrossEntropyShape(rows, logits.Shape[-1]);
    }
}
