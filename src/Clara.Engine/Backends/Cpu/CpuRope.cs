namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// CPU twin of kernels/rope.cu, HF "rotate_half" layout: within each head the first half pairs with the second.
/// Frequencies are formed in fp32 exactly as HF does (inv_freq = 1 / theta^(2i/d), angle = position · inv_freq),
/// so long positions round the same way.
/// </summary>
internal static class CpuRope
{
    public static void Forward(Tensors.Tensor input, Tensors.Tensor positions, int headDim, float theta, Tensors.Tensor output)
    {
        var x = CpuTensor.F32(input, "rope input");
        var y = CpuTensor.F32(output, "rope output");
        var pos = CpuTensor.I32(positions, "rope positions");
        if (headDim <= 0 || headDim % 2 != 0) throw new ArgumentException($"rope head dimension {headDim} must be even and positive");
        int width = input.Shape[-1];
        if (width % headDim != 0) throw new ArgumentException($"rope input width {width} is not a multiple of head dimension {headDim}");
        long rows = input.Shape.Rows;
        if (pos.Length != rows) throw new ArgumentException($"rope has {rows} rows but {pos.Length} positions");
        if (output.ElementCount != input.ElementCount) throw new ArgumentException($"rope output {output.Shape} differs from input {input.Shape}");

        int half = headDim / 2;
        Span<float> invFreq = stackalloc float[half];
        InverseFrequencies(headDim, theta, invFreq);
        Span<float> cos = stackalloc float[half];
        Span<float> sin = stackalloc float[half];
        for (int r = 0; r < rows; r++)
        {
            float p = pos[r];
            for (int i = 0; i < half; i++)
            {
                float angle = p * invFreq[i];
                cos[i] = MathF.Cos(angle);
                sin[i] = MathF.Sin(angle);
            }
            for (int head = 0; head < width / headDim; head++)
            {
                int o = r * width + head * headDim;
                for (int i = 0; i < half; i++)
                {
                    float a = x[o + i], b = x[o + i + half];
                    y[o + i] = a * cos[i] - b * sin[i];
                    y[o + i + half] = b * cos[i] + a * sin[i];
                }
            }
        }
    }

    public static void InverseFrequencies(int headDim, float theta, Span<float> invFreq)
    {
        for (int i = 0; i < invFreq.Length; i++)
            invFreq[i] = 1f / MathF.Pow(theta, (2 * i) / (float)headDim);
    }
}
