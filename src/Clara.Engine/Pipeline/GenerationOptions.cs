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

    public void Validate()
    {
        if (MaxNewTokens <= 0) throw new ArgumentOutOfRangeException(nameof(MaxNewTokens), $"max new tokens must be positive, got {MaxNewTokens}");
        if (Temperature < 0 || float.IsNaN(Temperature)) throw new ArgumentOutOfRangeException(nameof(Temperature), $"temperature must be ≥ 0, got {Temperature}");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentOutOfRangeException(nameof(TopP), $"top-p must be in (0, 1], got {TopP}");
    }
}
