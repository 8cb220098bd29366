namespace Clara.Engine.Pipeline;

/// <summary>Decoding settings. Temperature 0 (the default) is greedy, as the reference decodes.</summary>
public sealed record GenerationOptions
{
    public int MaxNewTokens { get; init; } = 128;

    /// <summary>0 = greedy; otherwise logits are divided by it before sampling.</summary>
    public float Temperature { get; init; }

    /// <summary>Nucleus sampling: sample from the smallest set of tokens whose probability reaches this.</summary>
    public float TopP { get; init; } = 1f;

    public int? Seed { get; init; }

    /// <summary>Extra stop tokens besides the model's end-of-sequence token.</summary>
    public IReadOnlyList<int> StopTokens { get; init; } = [];

    /// <summary>
    /// Smallest sampling temperature above 0: logits are divided by it in float32, and below this a logit of a few
    /// tens overflows to infinity and the probabilities become NaN. Greedy decoding (0) is what a tiny one means.
    /// </summary>
    public const float MinSamplingTemperature = 1e-3f;

    public void Validate()
    {
        if (MaxNewTokens <= 0) throw new ArgumentOutOfRangeException(nameof(MaxNewTokens), $"max new tokens must be positive, got {MaxNewTokens}");
        // Past any model's context, and prompt + this would overflow an int when sizing the KV cache.
        if (MaxNewTokens > Models.ConfigLimits.MaxPositionEmbeddings)
            throw new ArgumentOutOfRangeException(nameof(MaxNewTokens), $"max new tokens is {MaxNewTokens}, past the limit of {Models.ConfigLimits.MaxPositionEmbeddings} (ConfigLimits.MaxPositionEmbeddings)");
        if (!float.IsFinite(Temperature) || Temperature < 0 || (Temperature > 0 && Temperature < MinSamplingTemperature))
            throw new ArgumentOutOfRangeException(nameof(Temperature),
                $"sampling temperature must be 0 (greedy) or a finite number ≥ {MinSamplingTemperature} (GenerationOptions.MinSamplingTemperature), got {Temperature}");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentOutOfRangeException(nameof(TopP), $"top-p must be in (0, 1], got {TopP}");
    }
}
