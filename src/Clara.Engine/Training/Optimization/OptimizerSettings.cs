namespace Clara.Engine.Training.Optimization;

/// <summary>
/// Everything that decides an optimizer update: AdamW's hyperparameters (torch.optim.AdamW defaults), the warmup-cosine
/// schedule over <see cref="TotalSteps"/> and the global-norm clip (≤ 0: off).
/// </summary>
public sealed record OptimizerSettings
{
    public double LearningRate { get; init; } = 1e-4;
    public int WarmupSteps { get; init; }
    public int TotalSteps { get; init; } = 1;
    public double ClipNorm { get; init; } = 1.0;
    public double WeightDecay { get; init; } = 0.01;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>Refuses settings no update can use, naming the setting.</summary>
    public void Validate()
    {
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate))
            throw new ArgumentOutOfRangeException(nameof(LearningRate), $"the learning rate must be > 0, got {LearningRate}");
        if (WarmupSteps < 0) throw new ArgumentOutOfRangeException(nameof(WarmupSteps), $"warmup steps must be ≥ 0, got {WarmupSteps}");
        if (TotalSteps < 1) throw new ArgumentOutOfRangeException(nameof(TotalSteps), $"total steps must be ≥ 1, got {TotalSteps}");
        if (double.IsNaN(ClipNorm)) throw new ArgumentOutOfRangeException(nameof(ClipNorm), "the clip norm is NaN");
        if (!(WeightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(WeightDecay), $"weight decay must be ≥ 0, got {WeightDecay}");
        AdamW(LearningRate).Validate();
    }

    public WarmupCosineSchedule Schedule() => new(LearningRate, WarmupSteps, TotalSteps);

    /// <summary>The AdamW hyperparameters with the learning rate of one update.</summary>
    public AdamWSettings AdamW(double learningRate) => new(learningRate, Beta1, Beta2, Epsilon, WeightDecay);
}
