namespace Clara.Engine.Pipeline;

/// <summary>Picks the next token from one row of logits: argmax, or temperature + nucleus sampling with a seeded generator.</summary>
internal sealed class TokenSampler(GenerationOptions options)
{
    private readonly Random _random = options.Seed is { } s ? new Random(s) : new Random();

    public int Next(ReadOnlySpan<float> logits)
    {
        if (options.Temperature == 0f) return ArgMax(logits);
        RequireFinite(logits);
        var probabilities = new double[logits.Length];
        double max = double.NegativeInfinity;
        for (int i = 0; i < logits.Length; i++) max = Math.Max(max, logits[i] / options.Temperature);
        double sum = 0;
        for (int i = 0; i < logits.Length; i++) sum += probabilities[i] = Math.Exp(logits[i] / options.Temperature - max);
        var order = Enumerable.Range(0, logits.Length).OrderByDescending(i => probabilities[i]).ThenBy(i => i).ToArray();
        double kept = 0;
        int keep = 0;
        while (keep < order.Length && (keep == 0 || kept < options.TopP * sum)) kept += probabilities[order[keep++]];
        double u = _random.NextDouble() * kept;
        for (int i = 0; i < keep; i++)
        {
            u -= probabilities[order[i]];
            if (u <= 0) return order[i];
        }
        return order[keep - 1];
    }

    /// <summary>First index of the maximum, as torch.argmax does on ties.</summary>
    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        RequireFinite(logits);
        int best = 0;
        for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    // NaN compares false with everything, so argmax and sampling would answer token 0 as if nothing were wrong
    // (NaN or infinite weights do that). +Inf is as meaningless after the softmax.
    private static void RequireFinite(ReadOnlySpan<float> logits)
    {
        for (int i = 0; i < logits.Length; i++)
            if (float.IsNaN(logits[i]) || float.IsPositiveInfinity(logits[i]))
                throw new InvalidInputException($"generation: the logit of token {i} is {logits[i]} (the model's weights or memories hold non-finite values)");
    }
}
