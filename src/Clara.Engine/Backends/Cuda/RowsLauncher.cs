using Clara.Engine.Native.Cuda;

namespace Clara.Engine.Backends.Cuda;

/// <summary>Launches the row gather/scatter of kernels/memory_tokens.cu.</summary>
internal sealed class RowsLauncher(KernelLauncher launcher)
{
    public void Gather(Tensor input, Tensor rows, Tensor output)
    {
        var x = launcher.F32(input, "gather input");
        var idx = launcher.I32(rows, "gather rows");
        var y = launcher.F32(output, "gather output");
        int width = input.Shape[-1];
        int n = CudaTensor.IntCount(input.Shape.Rows, "gather input");
        if (output.ElementCount != rows.ElementCount * width) throw new ArgumentException($"gather output {output.Shape} should be [{rows.ElementCount}, {width}]");
        if (rows.ElementCount == 0) return;
        var args = new KernelArguments().Add(x).Add(idx).Add(y).Add(n).Add(width).Add(launcher.Faults);
        launcher.Launch("memory_tokens.cu", "clara_gather_rows", LaunchShapes.PerRow(rows.ElementCount), args);
    }

    public void Scatter(Tensor source, Tensor rows, Tensor target)
    {
        var x = launcher.F32(source, "scatter source");
        var idx = launcher.I32(rows, "scatter rows");
        var y = launcher.F32(target, "scatter target");
        int width = target.Shape[-1];
        int n = CudaTensor.IntCount(target.Shape.Rows, "scatter target");
        if (source.ElementCount != rows.ElementCount * width) throw new ArgumentException($"scatter source {source.Shape} should be [{rows.ElementCount}, {width}]");
        if (rows.ElementCount == 0) return;
        var args = new KernelArguments().Add(x).Add(idx).Add(y).Add(n).Add(width).Add(launcher.Faults);
        launcher.Launch("memory_tokens.cu", "clara_scatter_rows", LaunchShapes.PerRow(rows.ElementCount), args);
    }
}
