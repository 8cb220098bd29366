using Clara.Engine.Training;

namespace Clara.Engine.Backends.Cpu.Training;

/// <summary>CPU twin of kernels/adamw.cu: one AdamW update of an fp32 tensor and its moments, in place.</summary>
public static class AdamW
{
    /// <summary>
    /// p ← p·decay; m ← m·β1 + (1−β1)·g; v ← v·β2 + ((1−β2)·g)·g; p ← p − step_size · m / (√v / √(1−β2^t) + ε),
    /// with g = grad · <paramref name="gradScale"/> (gradient clipping folded in).
    /// </summary>
    public static void Step(Span<float> param, ReadOnlySpan<float> grad, Span<float> expAvg, Span<float> expAvgSq,
        in AdamWScalars s, float gradScale = 1f)
    {
        if (grad.Length != param.Length || expAvg.Length != param.Length || expAvgSq.Length != param.Length)
            throw new ArgumentException($"AdamW: parameter ({param.Length}), gradient ({grad.Length}) and moments ({expAvg.Length}, {expAvgSq.Length}) differ in size");
        for (int i = 0; i < param.Length; i++)
        {
            float g = grad[i] * gradScale;
            float m = expAvg[i] * s.Beta1 + g * s.OneMinusBeta1;
            float v = expAvgSq[i] * s.Beta2 + (s.OneMinusBeta2 * g) * g;
            expAvg[i] = m;
            expAvgSq[i] = v;
            float denom = MathF.Sqrt(v) / s.Bias2Sqrt + s.Epsilon;
            param[i] = param[i] * s.Decay - s.StepSize * (m / denom);
        }
    }
}
