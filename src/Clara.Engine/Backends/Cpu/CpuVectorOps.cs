using System.Numerics.Tensors;
using Clara.Engine.Backends.Ops;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>CPU twins of the whole-tensor updates of training: <see cref="IKernels.AddScaled"/> and <see cref="IKernels.Fill"/>.</summary>
internal static class CpuVectorOps
{
    public static void AddScaled(Tensor a, Tensor b, float alpha, Tensor output, int threads)
    {
        int count = checked((int)AddScaledRules.Check(a, b, output));
        // Element i reads a[i] and b[i] before writing output[i], so output may alias a. Ranges of whole chunks, as
        // CpuElementwise splits them: the same values on any thread count.
        StaticPartition.Run(count, CpuElementwise.Chunk, threads, count, (start, end) =>
            TensorPrimitives.MultiplyAdd(CpuTensor.Span<float>(b).Slice(start, end - start), alpha,
                CpuTensor.Span<float>(a).Slice(start, end - start), CpuTensor.Span<float>(output).Slice(start, end - start)));
    }

    public static void Fill(Tensor output, float value)
    {
        FillRules.Check(output);
        CpuTensor.Span<float>(output).Fill(value);
    }
}
