using System.Numerics.Tensors;
using Clara.Engine.Backends.Ops;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// CPU twin of <see cref="IKernels.SwiGluBackward"/>, with PyTorch's silu_backward formula
/// g·σ(x)·(1 + x·(1 − σ(x))) so the rounding follows autograd's.
/// </summary>
internal static class CpuSwiGluBackward
{
    private const int Chunk = 1024;

    public static void Run(Tensor gate, Tensor up, Tensor gradOutput, Tensor gradGate, Tensor gradUp, int threads)
    {
        long count = SwiGluBackwardRules.Check(gate, up, gradOutput, gradGate, gradUp);
        StaticPartition.Run((int)count, Chunk, threads, 16.0 * count, (start, end) => Range(gate, up, gradOutput, gradGate, gradUp, start, end));
    }

    private static void Range(Tensor gate, Tensor up, Tensor gradOutput, Tensor gradGate, Tensor gradUp, int start, int end)
    {
        var x = CpuTensor.Span<float>(gate);
        var u = CpuTensor.Span<float>(up);
        var g = CpuTensor.Span<float>(gradOutput);
        var dx = CpuTensor.Span<float>(gradGate);
        var du = CpuTensor.Span<float>(gradUp);
        Span<float> sigma = stackalloc float[Chunk];
        for (int i = start; i < end; i += Chunk)
        {
            int n = Math.Min(Chunk, end - i);
            var s = sigma[..n];
            TensorPrimitives.Sigmoid(x.Slice(i, n), s);
            for (int j = 0; j < n; j++)
            {
                // Both values are read before either gradient is written: the outputs may alias the inputs.
                float sj = s[j], xj = x[i + j], gj = g[i + j], uj = u[i + j];
                float gateGradient = gj * uj * sj * (1f + xj * (1f - sj));
                float upGradient = gj * (xj * sj);
                dx[i + j] = gateGradient;
                du[i + j] = upGradient;
            }
        }
    }
}
