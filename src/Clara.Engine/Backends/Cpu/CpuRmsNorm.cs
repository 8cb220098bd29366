using System.Numerics.Tensors;
using Clara.Engine.Backends.Ops;

namespace Clara.Engine.Backends.Cpu;

/// <summary>CPU twin of kernels/rmsnorm.cu: y = x · rsqrt(mean(x²) + eps) · w, in fp32 like HF's LlamaRMSNorm.</summary>
internal static class CpuRmsNorm
{
    /// <remarks>Rows are independent, so they are split over the kernel workers with the same values on any thread count.</remarks>
    public static void Forward(Tensors.Tensor input, Tensors.Tensor weight, float eps, Tensors.Tensor output, int threads)
    {
        int hidden = RmsNormRules.Check(input, weight, output);
        int rows = checked((int)input.Shape.Rows);
        var w = new float[hidden];
        WeightRows.Read(weight, 0, w);
        StaticPartition.Run(rows, 1, threads, 4.0 * rows * hidden, (start, end) =>
        {
            var x = CpuTensor.F32(input, "rmsnorm input");
            var y = CpuTensor.F32(output, "rmsnorm output");
            for (int row = start; row < end; row++)
                Normalize(x.Slice(row * hidden, hidden), w, eps, y.Slice(row * hidden, hidden));
        });
    }

    public static void Normalize(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y)
    {
        float meanSquare = TensorPrimitives.Dot(x, x) / x.Length;
        float scale = 1f / MathF.Sqrt(meanSquare + eps);
        TensorPrimitives.Multiply(x, scale, y);
        TensorPrimitives.Multiply(y, weight, y);
    }
}
