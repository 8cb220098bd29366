using System.CommandLine;
using Clara.CommandLine;
using Clara.Engine.Training;
using Clara.Engine.Training.Optimization;

namespace Clara.Cli;

/// <summary>The options of clara train that set the trainer and its optimizer (steps, batches, AdamW, checkpoints).</summary>
internal sealed class TrainerOptionSet
{
    private readonly Option<int?> _steps = Options.OptionalInt("--steps", "N", "updates to run (default: --epochs 1)");
    private readonly Option<double?> _epochs = Options.OptionalDouble("--epochs", "E", "passes over the data (default 1)");
    private readonly Option<double> _lr = Options.Double("--lr", "LR", 1e-4, "peak learning rate");
    private readonly Option<int> _warmup = Options.Int("--warmup", "N", 0, "warm-up updates", min: 0);
    private readonly Option<int> _batch = Options.Int("--batch", "N", 1, "examples per micro-batch");
    private readonly Option<int> _accumulate = Options.Int("--accumulate", "N", 1, "micro-batches per update");
    private readonly Option<double> _clip = Options.Double("--clip", "NORM", 1.0, "global L2 gradient norm (0: off)");
    private readonly Option<double> _weightDecay = Options.Double("--weight-decay", "W", 0.01, "AdamW weight decay", min: 0);
    private readonly Option<ulong> _seed = Options.ULong("--seed", "S", 0, "seed of the data order");
    private readonly Option<int> _saveEvery = Options.Int("--save-every", "N", 100, "updates between checkpoints (0: only at the end)");
    private readonly Option<int> _evalEvery = Options.Int("--eval-every", "N", 0, "updates between evaluations (0: only at the end)");

    public Option[] All => [_steps, _epochs, _lr, _warmup, _batch, _accumulate, _clip, _weightDecay, _seed, _saveEvery, _evalEvery];

    /// <summary>The settings, checked as the trainer would check them, so a mistake is a usage error before any work.</summary>
    public TrainerOptions Read(ParseResult p)
    {
        int? steps = p.GetValue(_steps);
        double? epochs = p.GetValue(_epochs);
        if (steps is not null && epochs is not null) throw new UsageException("give --steps or --epochs, not both");
        var optimizer = new OptimizerSettings
        {
            LearningRate = p.GetValue(_lr),
            WarmupSteps = p.GetValue(_warmup),
            ClipNorm = p.GetValue(_clip),
            WeightDecay = p.GetValue(_weightDecay),
        };
        if (!(optimizer.LearningRate > 0)) throw new UsageException($"--lr must be > 0, got {optimizer.LearningRate}");
        var options = new TrainerOptions
        {
            Steps = steps,
            Epochs = epochs,
            Batch = p.GetValue(_batch),
            Accumulate = p.GetValue(_accumulate),
            Seed = p.GetValue(_seed),
            SaveEvery = p.GetValue(_saveEvery),
            EvalEvery = p.GetValue(_evalEvery),
            Optimizer = optimizer,
        };
        try { options.TotalSteps(1); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        return options;
    }
}
