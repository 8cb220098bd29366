namespace Clara.Engine.Training;

/// <summary>AdamW hyperparameters, in double precision like the Python floats PyTorch keeps them in (defaults: torch.optim.AdamW's).</summary>
public sealed record AdamWSettings(double LearningRate, double Beta1 = 0.9, double Beta2 = 0.999, double Epsilon = 1e-8, double WeightDecay = 1e-2)
{
    public void Validate()
    {
        if (!(LearningRate >= 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), $"learning rate {LearningRate} must be ≥ 0");
        if (!(Beta1 is >= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(Beta1), $"beta1 {Beta1} must be in [0, 1)");
        if (!(Beta2 is >= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(Beta2), $"beta2 {Beta2} must be in [0, 1)");
        if (!(Epsilon >= 0)) throw new ArgumentOutOfRangeException(nameof(Epsilon), $"epsilon {Epsilon} must be ≥ 0");
    }
}

/// <summary>
/// The per-step scalars of one AdamW update, computed in double and rounded to float exactly where
/// PyTorch's single-tensor AdamW rounds them (a Python float scalar meeting an fp32 tensor).
/// Shared by the CPU twin and the CUDA launcher so both apply the same numbers.
/// </summary>
public readonly record struct AdamWScalars(float Beta1, float OneMinusBeta1, float Beta2, float OneMinusBeta2,
    float Epsilon, float Decay, float StepSize, float Bias2Sqrt)
{
    /// <summary>The scalars of update number <paramref name="step"/> (1 for the first update).</summary>
    public static AdamWScalars For(AdamWSettings settings, int step)
    {
        settings.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        double bias1 = 1 - Math.Pow(settings.Beta1, step);
        double bias2 = 1 - Math.Pow(settings.Beta2, step);
        return new AdamWScalars(
            (float)settings.Beta1, (float)(1 - settings.Beta1),
            (float)settings.Beta2, (float)(1 - settings.Beta2),
            (float)settings.Epsilon,
            (float)(1 - settings.LearningRate * settings.WeightDecay),
            (float)(settings.LearningRate / bias1),
            (float)Math.Sqrt(bias2));
    }
}
