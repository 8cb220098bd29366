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
        for (int i = 0; i < g.Length; i++)
        {
            float a = g[i];
            y[i] = a / (1f + MathF.Exp(-a)) * u[i];
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
