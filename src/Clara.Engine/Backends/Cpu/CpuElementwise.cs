using System.Numerics.Tensors;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>CPU twins of kernels/swiglu.cu and the residual add.</summary>
internal static class CpuElementwise
{
    public static void SwiGlu(Tensor gate, Tensor up, Tensor output)
    {
        var g = CpuTensor.F32(gate, "swiglu gate");
        var u = CpuTensor.F32(up, "swiglu up");
        var y = CpuTensor.F32(output, "swiglu output");
        if (g.Length != u.Length || g.Length != y.Length)
            throw new ArgumentException($"swiglu shapes disagree: gate {gate.Shape}, up {up.Shape}, output {output.Shape}");
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
        var x = CpuTensor.F32(a, "add a");
        var z = CpuTensor.F32(b, "add b");
        var y = CpuTensor.F32(output, "add output");
        if (x.Length != z.Length || x.Length != y.Length)
            throw new ArgumentException($"add shapes disagree: {a.Shape} + {b.Shape} -> {output.Shape}");
        TensorPrimitives.Add(x, z, y);
    }
}
