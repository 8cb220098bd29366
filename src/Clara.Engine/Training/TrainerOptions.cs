using Clara.Engine.Training.Optimization;

namespace Clara.Engine.Training;

/// <summary>
/// How long and how a run trains. One optimizer step consumes <see cref="Accumulate"/> micro-batches of
/// <see cref="Batch"/> examples. The length is <see cref="Steps"/> updates, or <see cref="Epochs"/> passes over the data
/// (⌈epochs · N / (batch · accumulate)⌉ updates); the schedule's total is that length.
/// </summary>
public sealed record TrainerOptions
{
    public int? Steps { get; init; }
    public double? Epochs { get; init; }
    public int Batch { get; init; } = 1;
    public int Accumulate { get; init; } = 1;
    public ulong Seed { get; init; }

    /// <summary>Checkpoint every this many updates (0: only at the end and on cancellation).</summary>
    public int SaveEvery { get; init; }

    /// <summary>Mean loss over the evaluation set every this many updates (0: only at the end).</summary>
    public int EvalEvery { get; init; }

    /// <summary>AdamW, schedule and clipping; <see cref="OptimizerSettings.TotalSteps"/> is replaced by the run's length.</summary>
    public OptimizerSettings Optimizer { get; init; } = new();

    /// <summary>The number of updates of a run over <paramref name="examples"/> examples; refuses bad settings by name.</summary>
    public int TotalSteps(int examples)
    {
        if (Batch < 1) throw new ArgumentOutOfRangeException(nameof(Batch), $"--batch must be ≥ 1, got {Batch}");
        if (Accumulate < 1) throw new ArgumentOutOfRangeException(nameof(Accumulate), $"--accumulate must be ≥ 1, got {Accumulate}");
        if (SaveEvery < 0) throw new ArgumentOutOfRangeException(nameof(SaveEvery), $"--save-every must be ≥ 0, got {SaveEvery}");
        if (EvalEvery < 0) throw new ArgumentOutOfRangeException(nameof(EvalEvery), $"--eval-every must be ≥ 0, got {EvalEvery}");
        if (Steps is not null && Epochs is not null) throw new ArgumentException("give --steps or --epochs, not both");
        if (Steps is int s)
            return s >= 1 ? s : throw new ArgumentOutOfRangeException(nameof(Steps), $"--steps must be ≥ 1, got {s}");
        double epochs = Epochs ?? 1.0;
        if (!(epochs > 0) || double.IsInfinity(epochs)) throw new ArgumentOutOfRangeException(nameof(Epochs), $"--epochs must be > 0, got {epochs}");
        double steps = Math.Ceiling(epochs * examples / ((double)Batch * Accumulate));
        return steps <= int.MaxValue ? Math.Max(1, (int)steps) : throw new ArgumentOutOfRangeException(nameof(Epochs), $"--epochs {epochs} makes {steps} steps");
    }
}
