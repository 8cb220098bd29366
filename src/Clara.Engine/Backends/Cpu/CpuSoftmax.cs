using Clara.Engine.Backends.Ops;

namespace Clara.Engine.Backends.Cpu;

/// <summary>CPU twin of the log-softmax in kernels/softmax_xent.cu: max-shifted, fp32.</summary>
internal static class CpuSoftmax
{
    public static void LogSoftmax(Tensors.Tensor input, Tensors.Tensor output)
    {
        int width = SoftmaxRules.CheckLogSoftmax(input, output);
        var x = CpuTensor.F32(input, "log-softmax input");
        var y = CpuTensor.F32(output, "log-softmax output");
        for (long r = 0; r < input.Shape.Rows; r++) LogSoftmaxRow(x.Slice((int)(r * width), width), y.Slice((int)(r * width), width));
    }

    public static void LogSoftmaxRow(ReadOnlySpan<float> x, Span<float> y)
    {
        float max = System.Numerics.Tensors.TensorPrimitives.Max(x);
        double sum = 0;
        foreach (var v in x) sum += MathF.Exp(v - max);
        float logSum = max + (float)Math.Log(sum);
        for (int i = 0; i < x.Length; i++) y[i] = x[i] - logSum;
    }
}
