namespace Clara.Engine.Backends.Ops;

/// <summary>The operand rules of <see cref="IKernels.Rope"/>: input/output F32 [rows, heads·headDim], positions I32 [rows].</summary>
public static class RopeRules
{
    /// <summary>Returns the row count and the row width.</summary>
    public static (long Rows, int Width) Check(Tensor input, Tensor positions, int headDim, Tensor output)
    {
        OperandDTypes.RequireF32((input, "rope input"), (output, "rope output"));
        OperandDTypes.RequireI32(positions, "rope positions");
        if (headDim <= 0 || headDim % 2 != 0) throw new ArgumentException($"rope head dimension {headDim} must be even and positive");
        int width = input.Shape[-1];
        if (width % headDim != 0) throw new ArgumentException($"rope input width {width} is not a multiple of head dimension {headDim}");
        long rows = input.Shape.Rows;
        if (positions.ElementCount != rows) throw new ArgumentException($"rope has {rows} rows but {positions.ElementCount} positions");
        if (output.ElementCount != input.ElementCount) throw new ArgumentException($"rope output {output.Shape} differs from input {input.Shape}");
        return (rows, width);
    }
}
