using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Ops;

/// <summary>Sizes of one row scatter-add: <see cref="Count"/> source rows of <see cref="Width"/> into a target of <see cref="TargetRows"/> rows.</summary>
public readonly record struct ScatterAddShape(int Count, int Width, int TargetRows);

/// <summary>
/// Operand rules of <see cref="IKernels.ScatterAddRows"/>. Row indices are data, checked by the kernel itself
/// (an index outside the target is an <see cref="ArgumentOutOfRangeException"/> naming "rows").
/// </summary>
public static class ScatterAddRowsRules
{
    public static ScatterAddShape Check(Tensor source, Tensor rows, Tensor target)
    {
        OperandDTypes.RequireF32(source, "scatter-add source");
        OperandDTypes.RequireI32(rows, "scatter-add rows");
        OperandDTypes.RequireF32(target, "scatter-add target");
        if (target.Shape.Rank < 1) throw new ArgumentException($"scatter-add target {target.Shape} must have rows");
        int width = target.Shape[-1];
        if (rows.ElementCount > int.MaxValue || target.Shape.Rows > int.MaxValue)
            throw new ArgumentException($"scatter-add rows {rows.Shape} / target {target.Shape} exceed 2^31 rows");
        int count = (int)rows.ElementCount;
        if (source.ElementCount != (long)count * width)
            throw new ArgumentException($"scatter-add source {source.Shape} should be [{count}, {width}] (rows {rows.Shape}, target {target.Shape})");
        return new ScatterAddShape(count, width, (int)target.Shape.Rows);
    }
}
