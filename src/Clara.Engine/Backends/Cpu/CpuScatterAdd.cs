using System.Numerics.Tensors;
using Clara.Engine.Backends.Ops;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>CPU twin of <see cref="IKernels.ScatterAddRows"/>, the backward of every row gather (embedding lookup included).</summary>
internal static class CpuScatterAdd
{
    public static void Rows(Tensor source, Tensor rows, Tensor target)
    {
        var shape = ScatterAddRowsRules.Check(source, rows, target);
        var x = CpuTensor.Span<float>(source);
        var idx = CpuTensor.Span<int>(rows);
        var y = CpuTensor.Span<float>(target);
        // Every index is checked before anything is added, so a bad call leaves the target untouched.
        for (int i = 0; i < shape.Count; i++)
            if ((uint)idx[i] >= (uint)shape.TargetRows)
                throw new ArgumentOutOfRangeException(nameof(rows), $"scatter-add rows[{i}] = {idx[i]} is outside the target's [0, {shape.TargetRows})");
        int width = shape.Width;
        // Sequential over i, so repeated rows accumulate in index order (deterministic).
        for (int i = 0; i < shape.Count; i++)
        {
            var row = y.Slice(idx[i] * width, width);
            TensorPrimitives.Add(row, x.Slice(i * width, width), row);
        }
    }
}
