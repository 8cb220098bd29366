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
        // The widened weight row is the calling thread's scratch (the workers only read it while this call waits for
        // them): a decode step normalises 25 times, and a new array each time was ~75 KB of garbage a step.
        var w = PinnedScratch.Grow(ref t_weight, hidden, "rmsnorm");
        WeightRows.Read(weight, 0, w.AsSpan(0, hidden));
        StaticPartition.Run(rows, 1, threads, 4.0 * rows * hidden, (start, end) =>
        {
            var x = CpuTensor.F32(input, "rmsnorm input");
            var y = CpuTensor.F32(output, "rmsnorm output");
            var weightRow = w.AsSpan(0, hidden);
            for (int row = start; row < end; row++)
                Normalize(x.Slice(row * hidden, hidden), weightRow, eps, y.Slice(row * hidden, hidden));
        });
    }

    [ThreadStatic] private static float[]? t_weight;

    public static void Normalize(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y)
    {
        float meanSquare = TensorPrimitives.Dot(x, x) / x.Length;
        float scale = 1f / MathF.Sqrt(meanSquare + eps);
        TensorPrimitives.Multiply(x, scale, y);
        TensorPrimitives.Multiply(y, weight, y);
    }
}
