using Clara.Engine.Native.Cuda;

namespace Clara.Engine.Backends.Cuda;

/// <summary>Launches kernels/rope.cu.</summary>
internal sealed class RopeLauncher(KernelLauncher launcher)
{
    private const int Threads = 128;

    public void Forward(Tensor input, Tensor positions, int headDim, float theta, Tensor output)
    {
        var x = launcher.F32(input, "rope input");
        var y = launcher.F32(output, "rope output");
        var p = launcher.I32(positions, "rope positions");
        if (headDim <= 0 || headDim % 2 != 0) throw new ArgumentException($"rope head dimension {headDim} must be even and positive");
        int width = input.Shape[-1];
        if (width % headDim != 0) throw new ArgumentException($"rope input width {width} is not a multiple of head dimension {headDim}");
        long rows = input.Shape.Rows;
        if (positions.ElementCount != rows) throw new ArgumentException($"rope has {rows} rows but {positions.ElementCount} positions");
        if (output.ElementCount != input.ElementCount) throw new ArgumentException($"rope output {output.Shape} differs from input {input.Shape}");
        if (rows == 0) return;

        var args = new KernelArguments().Add(x).Add(p).Add(y).Add(width / headDim).Add(headDim).Add(theta);
        launcher.Launch("rope.cu", "clara_rope", LaunchShapes.PerRow(rows, Threads), args);
    }
}
