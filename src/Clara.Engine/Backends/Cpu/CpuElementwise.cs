using System.Numerics.Tensors;
using Clara.Engine.Backends.Ops;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>CPU twins of kernels/swiglu.cu and the residual add.</summary>
/// <remarks>
/// Both split the elements into ranges on the kernel workers (a training step's activations are millions of values;
/// left on one thread they kept the other core waiting for a fifth of the step). The ranges start at multiples of
/// <see cref="Chunk"/>, the unit the SwiGLU loop works in, so every element is computed by the same vector code at
/// the same place in its chunk on any thread count: the results are bit-identical to one thread's.
/// </remarks>
internal static class CpuElementwise
{
    internal const int Chunk = 4096;

    public static void SwiGlu(Tensor gate, Tensor up, Tensor output, int threads)
    {
        ElementwiseRules.CheckSwiGlu(gate, up, output);
        int count = checked((int)gate.ElementCount);
        // A sigmoid costs about twenty operations an element.
        StaticPartition.Run(count, Chunk, threads, 24.0 * count, (start, end) => SwiGluRange(gate, up, output, start, end));
    }

    private static void SwiGluRange(Tensor gate, Tensor up, Tensor output, int start, int end)
    {
        var g = CpuTensor.F32(gate, "swiglu gate");
        var u = CpuTensor.F32(up, "swiglu up");
        var y = CpuTensor.F32(output, "swiglu output");
        // silu(g)·u = g·sigmoid(g)·u, vectorised, in chunks that stay in L1 between the passes.
        Span<float> silu = stackalloc float[Chunk];
        for (int i = start; i < end; i += Chunk)
        {
            int count = Math.Min(Chunk, end - i);
            var gi = g.Slice(i, count);
            var si = silu[..count];
            TensorPrimitives.Sigmoid(gi, si);
            TensorPrimitives.Multiply(si, gi, si);
            TensorPrimitives.Multiply(si, u.Slice(i, count), y.Slice(i, count));
        }
    }

    public static void Add(Tensor a, Tensor b, Tensor output, int threads)
    {
        ElementwiseRules.CheckAdd(a, b, output);
        int count = checked((int)a.ElementCount);
        StaticPartition.Run(count, Chunk, threads, count, (start, end) =>
            TensorPrimitives.Add(CpuTensor.F32(a, "add a").Slice(start, end - start), CpuTensor.F32(b, "add b").Slice(start, end - start),
                CpuTensor.F32(output, "add output").Slice(start, end - start)));
    }
}
