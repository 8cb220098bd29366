using System.Numerics.Tensors;
using Clara.Engine.Backends.Ops;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>CPU twins of kernels/swiglu.cu and the residual add.</summary>
internal static class CpuElementwise
{
    public static void SwiGlu(Tensor gate, Tensor up, Tensor output)
    {
        ElementwiseRules.CheckSwiGlu(gate, up, output);
        var g = CpuTensor.F32(gate, "swiglu gate");
        var u = CpuTensor.F32(up, "swiglu up");
        var y = CpuTensor.F32(output, "swiglu output");
        // silu(g)·u = g·sigmoid(g)·u, vectorised, in chunks that stay in L1 between the passes.
        const int Chunk = 4096;
        Span<float> silu = stackalloc float[Chunk];
        for (int i = 0; i < g.Length; i += Chunk)
        {
            int count = Math.Min(Chunk, g.Length - i);
            var gi = g.Slice(i, count);
            var si = silu[..count];
            TensorPrimitives.Sigmoid(gi, si);
            TensorPrimitives.Multiply(si, gi, si);
            TensorPrimitives.Multiply(si, u.Slice(i, count), y.Slice(i, count));
        }
    }

    public static void Add(Tensor a, Tensor b, Tensor output)
    {
        ElementwiseRules.CheckAdd(a, b, output);
        TensorPrimitives.Add(CpuTensor.F32(a, "add a"), CpuTensor.F32(b, "add b"), CpuTensor.F32(output, "add output"));
    }
}
