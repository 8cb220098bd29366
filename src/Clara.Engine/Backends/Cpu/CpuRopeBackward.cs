using Clara.Engine.Backends.Ops;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// CPU twin of <see cref="IKernels.RopeBackward"/>. A rotation's adjoint is its inverse: with the forward's own angles
/// (position · inv_freq in fp32, as <see cref="CpuRope"/> forms them, from its table of distinct positions when the
/// rows repeat them) da = ga·cos + gb·sin, db = gb·cos − ga·sin for each pair (a, b) = (i, i + half) of a head. Rows
/// are split over the kernel workers, with the same values on any thread count.
/// </summary>
internal static class CpuRopeBackward
{
    public static void Run(Tensor gradOutput, Tensor positions, int headDim, float theta, Tensor gradInput, int threads)
    {
        var shape = RopeBackwardRules.Check(gradOutput, positions, headDim, theta, gradInput);
        int half = headDim / 2, width = shape.Heads * headDim;
        var angles = CpuRope.RowAngles.For(positions, headDim, theta);
        StaticPartition.Run(shape.Rows, 1, threads, 6.0 * shape.Rows * width, (start, end) =>
        {
            var g = CpuTensor.Span<float>(gradOutput);
            var dx = CpuTensor.Span<float>(gradInput);
            var pos = CpuTensor.Span<int>(positions);
            Span<float> cosScratch = stackalloc float[half];
            Span<float> sinScratch = stackalloc float[half];
            for (int row = start; row < end; row++)
            {
                angles.Of(pos[row], cosScratch, sinScratch, out var cos, out var sin);
                for (int head = 0; head < shape.Heads; head++)
                {
                    int basis = row * width + head * headDim;
                    for (int i = 0; i < half; i++)
                    {
                        float ga = g[basis + i], gb = g[basis + i + half];
                        dx[basis + i] = ga * cos[i] + gb * sin[i];
                        dx[basis + i + half] = gb * cos[i] - ga * sin[i];
                    }
                }
            }
        });
    }
}
