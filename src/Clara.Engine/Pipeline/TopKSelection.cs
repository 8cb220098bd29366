namespace Clara.Engine.Pipeline;

/// <summary>
/// The hard part of the straight-through top-k (spec §4): indices of the k largest z = s / max(τ, 1e-6), best first.
/// The forward value of W is exactly this selection; the soft part only matters for gradients (training).
/// </summary>
public static class TopKSelection
{
    public const float TemperatureFloor = 1e-6f;

    public static int[] Select(ReadOnlySpan<float> scores, int k, float temperature)
    {
        if (k <= 0) throw new ArgumentOutOfRangeException(nameof(k), $"k must be positive, got {k}");
        if (k > scores.Length) throw new ArgumentOutOfRangeException(nameof(k), $"k = {k} exceeds the {scores.Length} candidate documents");
        float inv = 1f / MathF.Max(temperature, TemperatureFloor);
        var z = new float[scores.Length];
        for (int i = 0; i < z.Length; i++)
        {
            if (float.IsNaN(scores[i])) throw new ArgumentException($"score {i} is NaN");
            z[i] = scores[i] * inv;
        }
        // Stable order: equal scores keep input order, so results do not depend on the sort implementation.
        return Enumerable.Range(0, z.Length).OrderByDescending(i => z[i]).ThenBy(i => i).Take(k).ToArray();
    }
}
