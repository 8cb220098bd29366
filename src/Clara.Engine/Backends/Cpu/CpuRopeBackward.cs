using Clara.Engine.Backends.Ops;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// CPU twin of <see cref="IKernels.RopeBackward"/>. A rotation's adjoint is its inverse: with the forward's own angles
/// (position · inv_freq in fp32, as <see cref="CpuRope"/> forms them) da = ga·cos + gb·sin, db = gb·cos − ga·sin for
/// each pair (a, b) = (i, i + half) of a head.
/// </summary>
internal static class CpuRopeBackward
{
    public static void Run(Tensor gradOutput, Tensor positions, int headDim, float theta, Tensor gradInput)
    {
        var shape = RopeBackwardRules.Check(gradOutput, positions, headDim, theta, gradInput);
        var g = CpuTensor.Span<float>(gradOutput);
        var pos = CpuTensor.Span<int>(positions);
        var dx = CpuTensor.Span<float>(gradInput);
        int half = headDim / 2, width = shape.Heads * headDim;
        Span<float> invFreq = stackalloc float[half];
        CpuRope.InverseFrequencies(headDim, theta, invFreq);
        Span<float> cos = stackalloc float[half];
        Span<float> sin = stackalloc float[half];
        for (int row = 0; row < shape.Rows; row++)
        {
            float p = pos[row];
            for (int i = 0; i < half; i++)
            {
                float angle = p * invFreq[i];
                cos[i] = MathF.Cos(angle);
                sin[i] = MathF.Sin(angle);
            }
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
    }
}
