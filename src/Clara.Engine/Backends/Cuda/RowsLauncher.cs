using Clara.Engine.Backends.Ops;
using Clara.Engine.Native.Cuda;

namespace Clara.Engine.Backends.Cuda;

/// <summary>Launches the row gather, scatter and scatter-add of kernels/memory_tokens.cu.</summary>
internal sealed class RowsLauncher(KernelLauncher launcher)
{
    public void Gather(Tensor input, Tensor rows, Tensor output)
    {
        var (n, width) = RowsRules.CheckGather(input, rows, output);
        Move("clara_gather_rows", launcher.F32(input, "gather input"), launcher.I32(rows, "gather rows"), launcher.F32(output, "gather output"),
            CudaTensor.IntCount(n, "gather input"), width, rows.ElementCount);
    }

    public void Scatter(Tensor source, Tensor rows, Tensor target)
    {
        var (n, width) = RowsRules.CheckScatter(source, rows, target);
        Move("clara_scatter_rows", launcher.F32(source, "scatter source"), launcher.I32(rows, "scatter rows"), launcher.F32(target, "scatter target"),
            CudaTensor.IntCount(n, "scatter target"), width, rows.ElementCount);
    }

    public void ScatterAdd(Tensor source, Tensor rows, Tensor target)
    {
        var shape = ScatterAddRowsRules.Check(source, rows, target);
        Move("clara_scatter_add_rows", launcher.F32(source, "scatter-add source"), launcher.I32(rows, "scatter-add rows"),
            launcher.F32(target, "scatter-add target"), shape.TargetRows, shape.Width, shape.Count);
    }

    /// <summary>One block per listed row; the kernel flags an index outside [0, <paramref name="n"/>).</summary>
    private void Move(string entryPoint, DevicePointer x, DevicePointer rows, DevicePointer y, int n, int width, long count)
    {
        if (count == 0) return;
        var args = new KernelArguments().Add(x).Add(rows).Add(y).Add(n).Add(width).Add(launcher.Faults);
        launcher.Launch("memory_tokens.cu", entryPoint, LaunchShapes.PerRow(count), args);
    }
}
