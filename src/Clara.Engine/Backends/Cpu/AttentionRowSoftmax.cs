using System.Numerics.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>The softmax numerator of one attention row, shared by the cached (inference) and whole-sequence (training) kernels so both round alike.</summary>
internal static class AttentionRowSoftmax
{
    /// <summary>
    /// The <paramref name="visible"/> causal scores → exp(score − max) (masked and later keys 0). Returns 1 / Σ exp and
    /// the log-sum-exp, or 0 and 0 when the row sees no key.
    /// </summary>
    public static float Exponentiate(Span<float> row, ReadOnlySpan<int> mask, bool anyMasked, int visible, out float logSum)
    {
        row[visible..].Clear();
        var live = row[..visible];
        float max;
        if (!anyMasked)
        {
            max = TensorPrimitives.Max(live);
        }
        else
        {
            max = float.NegativeInfinity;
            for (int j = 0; j < visible; j++)
            {
                if (mask[j] == 0) live[j] = float.NegativeInfinity;
                else if (live[j] > max) max = live[j];
            }
        }
        if (float.IsNegativeInfinity(max))
        {
            live.Clear();
            logSum = 0f;
            return 0f;
        }
        TensorPrimitives.Subtract(live, max, live);
        TensorPrimitives.Exp(live, live);
        float sum = TensorPrimitives.Sum(live);
        logSum = max + MathF.Log(sum);
        return 1f / sum;
    }
}
