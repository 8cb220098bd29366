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
        ValidateTemperature(temperature, "top-k temperature");
        var s = new float[scores.Length];
        for (int i = 0; i < s.Length; i++)
        {
            // A NaN compares false with everything, so it would silently fall back to input order.
            if (!float.IsFinite(scores[i]))
                throw new InvalidInputException($"rerank: the score of document {i} is {scores[i]} (the query or the document's memory holds non-finite values)");
            s[i] = scores[i];
        }
        // Dividing by τ > 0 keeps the order, so the selection ranks the scores themselves: s / τ could round distinct
        // scores together (or all to zero, for a huge τ) and hand back input order.
        // Stable order: equal scores keep input order, so results do not depend on the sort implementation.
        return Enumerable.Range(0, s.Length).OrderByDescending(i => s[i]).ThenBy(i => i).Take(k).ToArray();
    }

    /// <summary>τ must be a finite number ≥ 0 (0 and anything below the floor act as the floor).</summary>
    public static void ValidateTemperature(float temperature, string what)
    {
        if (!float.IsFinite(temperature) || temperature < 0)
            throw new ArgumentOutOfRangeException(nameof(temperature), $"{what} must be a finite number ≥ 0, got {temperature}");
    }
}
