using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Ops;

/// <summary>Sizes of one RMSNorm backward: <see cref="Rows"/> rows of <see cref="Hidden"/>.</summary>
public readonly record struct RmsNormBackwardShape(int Rows, int Hidden);

/// <summary>Operand rules of <see cref="IKernels.RmsNormBackward"/>.</summary>
public static class RmsNormBackwardRules
{
    public static RmsNormBackwardShape Check(Tensor input, Tensor weight, float eps, Tensor gradOutput, Tensor gradInput, Tensor? gradWeight)
    {
        OperandDTypes.RequireF32(input, "rmsnorm-backward input");
        OperandDTypes.RequireFloatStorage(weight, "rmsnorm-backward weight");
        OperandDTypes.RequireF32(gradOutput, "rmsnorm-backward gradOutput");
        OperandDTypes.RequireF32(gradInput, "rmsnorm-backward gradInput");
        if (input.Shape.Rank < 1 || input.Shape[-1] == 0) throw new ArgumentException($"rmsnorm-backward input {input.Shape} has no hidden dimension");
        if (!(eps >= 0) || float.IsInfinity(eps)) throw new ArgumentOutOfRangeException(nameof(eps), $"rmsnorm-backward eps {eps} must be finite and ≥ 0");
        int hidden = input.Shape[-1];
        if (weight.ElementCount != hidden) throw new ArgumentException($"rmsnorm-backward weight {weight.Shape} should hold {hidden} values (input {input.Shape})");
        OperandDTypes.RequireSameCount(gradOutput, input.ElementCount, "rmsnorm-backward gradOutput", $"input {input.Shape}");
        OperandDTypes.RequireSameCount(gradInput, input.ElementCount, "rmsnorm-backward gradInput", $"input {input.Shape}");
        if (gradWeight is not null)
        {
            OperandDTypes.RequireF32(gradWeight, "rmsnorm-backward gradWeight");
            if (gradWeight.ElementCount != hidden) throw new ArgumentException($"rmsnorm-backward gradWeight {gradWeight.Shape} should hold {hidden} values");
        }
        if (input.Shape.Rows > int.MaxValue) throw new ArgumentException($"rmsnorm-backward input {input.Shape} exceeds 2^31 rows");
        return new RmsNormBackwardShape((int)input.Shape.Rows, hidden);
    }
}
