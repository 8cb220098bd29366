using Clara.Engine.Tensors;

namespace Clara.Engine.Training.Optimization;

/// <summary>What one update did: its number (1-based), learning rate, the gradient norm before clipping and the clip factor.</summary>
public readonly record struct OptimizerStepReport(int Step, double LearningRate, float GradientNorm, float ClipScale);

/// <summary>
/// torch.optim.AdamW + clip_grad_norm_ + LambdaLR over a whole <see cref="ParameterStore"/>: the global norm is one
/// SumOfSquares over the flat gradients, the update one AdamWStep over the flat values and moments (the clip factor
/// is folded into that launch instead of rescaling the gradients first).
/// </summary>
public sealed class AdamWOptimizer : IDisposable
{
    private readonly ParameterStore _store;
    private readonly Tensor _sumOfSquares;

    public AdamWOptimizer(ParameterStore store, OptimizerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        _store = store;
        Settings = settings;
        Schedule = settings.Schedule();
        _sumOfSquares = Tensor.Allocate(store.Backend, new Shape(1), DType.F32);
    }

    public OptimizerSettings Settings { get; }
    public WarmupCosineSchedule Schedule { get; }

    /// <summary>Updates applied so far; a resumed run sets it from its checkpoint (the moments live in the store).</summary>
    public int StepsTaken { get; set; }

    /// <summary>The learning rate the next update will use.</summary>
    public double NextLearningRate => Schedule.LearningRate(StepsTaken);

    /// <summary>The global L2 norm of the store's gradients (fp32, like PyTorch's).</summary>
    public float GradientNorm()
    {
        _store.Backend.Kernels.SumOfSquares(_store.Gradients, _sumOfSquares);
        return MathF.Sqrt(_sumOfSquares.ToFloatArray()[0]);
    }

    /// <summary>One update from the gradients now in the store (which it leaves as they are).</summary>
    public OptimizerStepReport Step()
    {
        float norm = GradientNorm();
        float scale = GradientClipping.Scale(norm, Settings.ClipNorm);
        double lr = Schedule.LearningRate(StepsTaken);
        var scalars = AdamWScalars.For(Settings.AdamW(lr), StepsTaken + 1);
        _store.Backend.Kernels.AdamWStep(_store.Values, _store.Gradients, _store.ExpAvg, _store.ExpAvgSq, scalars, scale);
        StepsTaken++;
        return new OptimizerStepReport(StepsTaken, lr, norm, scale);
    }

    public void Dispose() => _sumOfSquares.Buffer.Dispose();
}
