namespace Clara.Engine.Backends.Cpu.Training;

/// <summary>
/// CPU twin of kernels/topk_straight_through.cu, the differentiable top-k of spec §4, per batch row of
/// <c>n</c> scores: hard picks H (the forward value of W), the slot-by-slot soft distributions P (whose
/// gradient W carries), and the backward from dL/dW to dL/dscores.
/// </summary>
public static class StraightThroughTopK
{
    public const float TemperatureFloor = 1e-6f;

    /// <summary>τ as the spec uses it: max(τ, 1e-6).</summary>
    public static float EffectiveTemperature(float temperature) => MathF.Max(temperature, TemperatureFloor);

    /// <summary>
    /// scores [B, n] → hard, soft [B, k, n] and indices [B, k] (best first, ties to the lower index).
    /// P[j] = softmax(z + log(1 − taken + 1e-8)) with z = s/τ and taken the picks of slots before j.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> scores, int n, int k, float temperature,
        Span<float> hard, Span<float> soft, Span<int> indices)
    {
        int batch = Batch(scores.Length, n, k);
        if (hard.Length != batch * k * n || soft.Length != batch * k * n || indices.Length != batch * k)
            throw new ArgumentException($"top-k outputs for [{batch}, {n}] scores with k = {k} need {batch * k * n} weights and {batch * k} indices");
        float tau = EffectiveTemperature(temperature);
        var z = new float[n];
        var taken = new float[n];
        var logits = new float[n];
        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < n; i++)
            {
                float s = scores[b * n + i];
                if (float.IsNaN(s)) throw new ArgumentException($"score {i} of row {b} is NaN");
                z[i] = s / tau;
            }
            Array.Clear(taken);
            for (int j = 0; j < k; j++)
            {
                int pick = -1;
                for (int i = 0; i < n; i++)
                    if (taken[i] == 0f && (pick < 0 || z[i] > z[pick])) pick = i;

                float max = float.NegativeInfinity;
                for (int i = 0; i < n; i++)
                {
                    logits[i] = z[i] + MathF.Log(1f - taken[i] + 1e-8f);
                    max = MathF.Max(max, logits[i]);
                }
                double sum = 0;
                for (int i = 0; i < n; i++) sum += MathF.Exp(logits[i] - max);
                var softRow = soft.Slice((b * k + j) * n, n);
                var hardRow = hard.Slice((b * k + j) * n, n);
                for (int i = 0; i < n; i++)
                {
                    softRow[i] = (float)(MathF.Exp(logits[i] - max) / sum);
                    hardRow[i] = i == pick ? 1f : 0f;
                }
                indices[b * k + j] = pick;
                taken[pick] = 1f;
            }
        }
    }

    /// <summary>
    /// dL/dscores from dL/dW (= dL/dP): Σ_j P[j] ⊙ (dW[j] − ⟨dW[j], P[j]⟩), divided by τ.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> soft, ReadOnlySpan<float> gradWeights, int n, int k, float temperature, Span<float> gradScores)
    {
        int batch = Batch(gradScores.Length, n, k);
        if (soft.Length != batch * k * n || gradWeights.Length != batch * k * n)
            throw new ArgumentException($"top-k backward for [{batch}, {n}] scores with k = {k} needs {batch * k * n} soft weights and gradients");
        float tau = EffectiveTemperature(temperature);
        var grad = new double[n];
        for (int b = 0; b < batch; b++)
        {
            Array.Clear(grad);
            for (int j = 0; j < k; j++)
            {
                var p = soft.Slice((b * k + j) * n, n);
                var g = gradWeights.Slice((b * k + j) * n, n);
                double dot = 0;
                for (int i = 0; i < n; i++) dot += (double)g[i] * p[i];
                for (int i = 0; i < n; i++) grad[i] += p[i] * (g[i] - dot);
            }
            for (int i = 0; i < n; i++) gradScores[b * n + i] = (float)(grad[i] / tau);
        }
    }

    private static int Batch(int length, int n, int k)
    {
        if (n <= 0 || length % n != 0) throw new ArgumentException($"{length} scores are not rows of {n}");
        if (k <= 0 || k > n) throw new ArgumentOutOfRangeException(nameof(k), $"k = {k} must be in [1, {n}]");
        return length / n;
    }
}
