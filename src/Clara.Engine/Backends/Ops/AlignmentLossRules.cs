using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Ops;

/// <summary>Sizes of one §2 alignment loss: <see cref="Batch"/> documents of <see cref="Length"/> rows of <see cref="Width"/>.</summary>
public readonly record struct AlignmentShape(int Batch, int Length, int Width);

/// <summary>Operand rules of <see cref="IKernels.AlignmentLoss"/> and <see cref="IKernels.AlignmentLossBackward"/>.</summary>
public static class AlignmentLossRules
{
    public static AlignmentShape Check(Tensor hidden, Tensor roles, Tensor docMean, Tensor memMean, Tensor mse)
    {
        OperandDTypes.RequireF32(hidden, "alignment hidden");
        if (hidden.Shape.Rank != 3) throw new ArgumentException($"alignment hidden {hidden.Shape} must be [batch, length, width]");
        var shape = new AlignmentShape(hidden.Shape[0], hidden.Shape[1], hidden.Shape[2]);
        CheckRolesAndMeans(shape, roles, docMean, memMean, "alignment");
        OperandDTypes.RequireF32(mse, "alignment mse");
        OperandDTypes.RequireSameCount(mse, shape.Batch, "alignment mse", $"hidden {hidden.Shape} (batch)");
        return shape;
    }

    public static AlignmentShape CheckBackward(Tensor roles, Tensor docMean, Tensor memMean, float gradScale, Tensor gradHidden)
    {
        OperandDTypes.RequireF32(gradHidden, "alignment-backward gradHidden");
        if (gradHidden.Shape.Rank != 3) throw new ArgumentException($"alignment-backward gradHidden {gradHidden.Shape} must be [batch, length, width]");
        var shape = new AlignmentShape(gradHidden.Shape[0], gradHidden.Shape[1], gradHidden.Shape[2]);
        CheckRolesAndMeans(shape, roles, docMean, memMean, "alignment-backward");
        if (!float.IsFinite(gradScale)) throw new ArgumentOutOfRangeException(nameof(gradScale), $"alignment-backward gradScale {gradScale} must be finite");
        return shape;
    }

    private static void CheckRolesAndMeans(AlignmentShape shape, Tensor roles, Tensor docMean, Tensor memMean, string op)
    {
        OperandDTypes.RequireI32(roles, $"{op} roles");
        OperandDTypes.RequireF32(docMean, $"{op} docMean");
        OperandDTypes.RequireF32(memMean, $"{op} memMean");
        if (shape.Length == 0 || shape.Width == 0) throw new ArgumentException($"{op}: documents of length {shape.Length} and width {shape.Width} must not be empty");
        OperandDTypes.RequireSameCount(roles, (long)shape.Batch * shape.Length, $"{op} roles", $"[{shape.Batch}, {shape.Length}]");
        OperandDTypes.RequireSameCount(docMean, (long)shape.Batch * shape.Width, $"{op} docMean", $"[{shape.Batch}, {shape.Width}]");
        OperandDTypes.RequireSameCount(memMean, (long)shape.Batch * shape.Width, $"{op} memMean", $"[{shape.Batch}, {shape.Width}]");
    }
}
