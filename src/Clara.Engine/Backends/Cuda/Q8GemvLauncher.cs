using Clara.Engine.Backends.Ops;
using Clara.Engine.Native.Cuda;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cuda;

/// <summary>Launches kernels/q8_gemv.cu: <see cref="IKernels.MatMul"/> with a Q8_0 weight (int8 values + F16 block scales).</summary>
internal sealed class Q8GemvLauncher(KernelLauncher launcher)
{
    /// <summary>Weight rows per block of 256 threads (one warp each), as the kernel file documents.</summary>
    private const int RowsPerBlock = 8;

    public void Forward(Tensor input, Tensor weight, Tensor output, float alpha, float beta)
    {
        var (rows, n, k) = MatMulRules.Check(input, weight, output);
        if (weight.DType != DType.Q8_0 || weight.BlockScales is not { } scales)
            throw new ArgumentException($"the Q8_0 product needs a Q8_0 weight, got {weight.DType}{weight.Shape}");
        Q8Blocks.CheckShapes(weight.Shape, scales.Shape, scales.DType, "matmul weight");
        // grid.y carries the input rows; CUDA allows at most 65 535 there.
        if (rows > ushort.MaxValue) throw new NotSupportedException($"a Q8_0 product of {rows} input rows exceeds the kernel's {ushort.MaxValue} (grid.y)");
        var args = new KernelArguments().Add(launcher.F32(input, "matmul input")).Add(launcher.Any(weight, "matmul weight"))
            .Add(launcher.Any(scales, "matmul weight scales")).Add(launcher.F32(output, "matmul output"))
            .Add((int)rows).Add(n).Add(k).Add(alpha).Add(beta);
        if (rows == 0 || n == 0) return;
        var shape = new LaunchShape(new Dim3((uint)((n + RowsPerBlock - 1) / RowsPerBlock), (uint)rows), new Dim3(RowsPerBlock * 32));
        launcher.Launch("q8_gemv.cu", "clara_q8_gemv", shape, args);
    }
}
