using System.Numerics.Tensors;
using Clara.Engine.Backends.Ops;

namespace Clara.Engine.Backends.Cpu;

/// <summary>CPU twin of kernels/rmsnorm.cu: y = x · rsqrt(mean(x²) + eps) · w, in fp32 like HF's LlamaRMSNorm.</summary>
internal static class CpuRmsNorm
{
    public static void Forward(Tensors.Tensor input, Tensors.Tensor weight, float eps, Tensors.Tensor output)
    {
        int hidden = RmsNormRules.Check(input, weight, output);
        var x = CpuTensor.F32(input, "rmsnorm input");
        var y = CpuTensor.F32(output, "rmsnorm output");
        Span<float> w = hidden <= 16384 ? stackalloc float[hidden] : new float[hidden];
        WeightRows.Read(weight, 0, w);
        for (long row = 0; row < input.Shape.Rows; row++)
        {
            var xr = x.Slice((int)(row * hidden), hidden);
            var yr = y.Slice((int)(row * hidden), hidden);
            Normalize(xr, w, eps, yr);
        }
    }

    public static void Normalize(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y)
    {
        float meanSquare = TensorPrimitives.Dot(x, x) / x.Length;
        float scale = 1f / MathF.Sqrt(meanSquare + eps);
        TensorPrimitives.Multiply(x, scale, y);
        TensorPrimitives.Multiply(y, weight, y);
    }
}
