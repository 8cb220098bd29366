namespace Clara.Engine.Training.Optimization;

/// <summary>
/// The learning rate of each optimizer step: linear warmup, then cosine decay to zero (the shape of Hugging Face's
/// get_cosine_schedule_with_warmup, applied as torch.optim.lr_scheduler.LambdaLR applies it).
/// </summary>
/// <remarks>
/// With t the number of updates already applied (0 for the first), W the warmup steps and T the total steps:
/// <code>
///   f(t) = t / max(1, W)                                          when t &lt; W
///   f(t) = 0.5 · (1 + cos(π · min(1, (t − W) / max(1, T − W))))   otherwise
///   lr(t) = base_lr · f(t)
/// </code>
/// computed in double as LambdaLR does with Python floats. The first update of a warmup has learning rate 0 (LambdaLR
/// evaluates f at 0 before the first step); it still advances the AdamW moments, as in PyTorch.
/// </remarks>
public sealed record WarmupCosineSchedule
{
    public WarmupCosineSchedule(double baseLearningRate, int warmupSteps, int totalSteps)
    {
        if (!(baseLearningRate > 0) || double.IsInfinity(baseLearningRate))
            throw new ArgumentOutOfRangeException(nameof(baseLearningRate), $"learning rate {baseLearningRate} must be a positive number");
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        ArgumentOutOfRangeException.ThrowIfLessThan(totalSteps, 1);
        BaseLearningRate = baseLearningRate;
        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
    }

    public double BaseLearningRate { get; }
    public int WarmupSteps { get; }
    public int TotalSteps { get; }

    /// <summary>f(t) of the remarks.</summary>
    public double Factor(int completedSteps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(completedSteps);
        if (completedSteps < WarmupSteps) return (double)completedSteps / Math.Max(1, WarmupSteps);
        double progress = Math.Min(1.0, (double)(completedSteps - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps));
        return 0.5 * (1.0 + Math.Cos(Math.PI * progress));
    }

    /// <summary>The learning rate of the update that follows <paramref name="completedSteps"/> earlier ones.</summary>
    public double LearningRate(int completedSteps) => BaseLearningRate * Factor(completedSteps);
}
