using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Ops;

/// <summary>Sizes of one RoPE backward: <see cref="Rows"/> rows of <see cref="Heads"/> heads of <see cref="HeadDim"/>.</summary>
public readonly record struct RopeBackwardShape(int Rows, int Heads, int HeadDim);

/// <summary>Operand rules of <see cref="IKernels.RopeBackward"/>.</summary>
public static class RopeBackwardRules
{
    public static RopeBackwardShape Check(Tensor gradOutput, Tensor positions, int headDim, float theta, Tensor gradInput)
    {
        OperandDTypes.RequireF32(gradOutput, "rope-backward gradOutput");
        OperandDTypes.RequireI32(positions, "rope-backward positions");
        OperandDTypes.RequireF32(gradInput, "rope-backward gradInput");
        if (headDim <= 0 || headDim % 2 != 0) throw new ArgumentOutOfRangeException(nameof(headDim), $"rope-backward head dimension {headDim} must be even and positive");
        if (!(theta > 0) || float.IsInfinity(theta)) throw new ArgumentOutOfRangeException(nameof(theta), $"rope-backward theta {theta} must be finite and positive");
        if (gradOutput.Shape.Rank < 1) throw new ArgumentException($"rope-backward gradOutput {gradOutput.Shape} must be [rows, heads·headDim]");
        int width = gradOutput.Shape[-1];
        if (width % headDim != 0) throw new ArgumentException($"rope-backward gradOutput width {width} is not a multiple of head dimension {headDim}");
        long rows = gradOutput.Shape.Rows;
        if (positions.ElementCount != rows) throw new ArgumentException($"rope-backward gradOutput has {rows} rows but positions {positions.Shape} hold {positions.ElementCount}");
        OperandDTypes.RequireSameCount(gradInput, gradOutput.ElementCount, "rope-backward gradInput", $"gradOutput {gradOutput.Shape}");
        if (rows > int.MaxValue) throw new ArgumentException($"rope-backward gradOutput {gradOutput.Shape} exceeds 2^31 rows");
        return new RopeBackwardShape((int)rows, width / headDim, headDim);
    }
}
