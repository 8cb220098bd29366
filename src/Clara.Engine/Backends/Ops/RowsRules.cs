namespace Clara.Engine.Backends.Ops;

/// <summary>
/// The operand rules of <see cref="IKernels.GatherRows"/> and <see cref="IKernels.ScatterRows"/>: whole F32 rows moved
/// by an I32 row list. Whether each row index is in range is data, checked where the indices are read.
/// </summary>
public static class RowsRules
{
    /// <summary>Returns the input's row count and the row width.</summary>
    public static (long Rows, int Width) CheckGather(Tensor input, Tensor rows, Tensor output)
    {
        OperandDTypes.RequireF32((input, "gather input"), (output, "gather output"));
        OperandDTypes.RequireI32(rows, "gather rows");
        int width = input.Shape[-1];
        if (output.ElementCount != rows.ElementCount * width) throw new ArgumentException($"gather output {output.Shape} should be [{rows.ElementCount}, {width}]");
        return (input.Shape.Rows, width);
    }

    /// <summary>Returns the target's row count and the row width.</summary>
    public static (long Rows, int Width) CheckScatter(Tensor source, Tensor rows, Tensor target)
    {
        OperandDTypes.RequireF32((source, "scatter source"), (target, "scatter target"));
        OperandDTypes.RequireI32(rows, "scatter rows");
        int width = target.Shape[-1];
        if (source.ElementCount != rows.ElementCount * width) throw new ArgumentException($"scatter source {source.Shape} should be [{rows.ElementCount}, {width}]");
        return (target.Shape.Rows, width);
    }
}
