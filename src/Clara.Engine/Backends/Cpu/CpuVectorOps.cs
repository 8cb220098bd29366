using System.Numerics.Tensors;
using Clara.Engine.Backends.Ops;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>CPU twins of the whole-tensor updates of training: <see cref="IKernels.AddScaled"/> and <see cref="IKernels.Fill"/>.</summary>
internal static class CpuVectorOps
{
    public static void AddScaled(Tensor a, Tensor b, float alpha, Tensor output)
    {
        AddScaledRules.Check(a, b, output);
        // Element i reads a[i] and b[i] before writing output[i], so output may alias a.
        TensorPrimitives.MultiplyAdd(CpuTensor.Span<float>(b), alpha, CpuTensor.Span<float>(a), CpuTensor.Span<float>(output));
    }

    public static void Fill(Tensor output, float value)
    {
        FillRules.Check(output);
        CpuTensor.Span<float>(output).Fill(value);
    }
}
