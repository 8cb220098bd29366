using Clara.Engine.Tensors;

namespace Clara.Engine.Training.Optimization;

/// <summary>
/// One optimizer step's gradient from several micro-batches. The step's loss is, like a single batch's, the mean over
/// all of its target tokens (spec §6), so micro-batch i (mean loss Lᵢ over nᵢ target tokens) enters with weight
/// wᵢ = nᵢ / Σⱼ nⱼ: Σ wᵢ Lᵢ is exactly the step's token mean and Σ wᵢ ∂Lᵢ its gradient. (Dividing every micro-batch by
/// the number of micro-batches, as many trainers do, would overweight the tokens of short micro-batches.)
/// </summary>
/// <remarks>
/// <see cref="ITrainingObjective.AccumulateGradients"/> adds the unweighted gradient of its batch mean, so with more
/// than one micro-batch each one runs on zeroed gradients and is added into a sum buffer with its weight (one extra
/// flat buffer the size of the trainable set, allocated on first use); the sum is then copied back into the store.
/// A single micro-batch needs no weighting and no buffer.
/// </remarks>
public sealed class GradientAccumulator : IDisposable
{
    private readonly ParameterStore _store;
    private readonly Func<TrainingExample, int> _targetTokens;
    private Tensor? _sum;

    public GradientAccumulator(ParameterStore store, Func<TrainingExample, int> targetTokens)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _targetTokens = targetTokens ?? throw new ArgumentNullException(nameof(targetTokens));
    }

    /// <summary>Leaves the step's gradient in the store and returns the step's mean loss.</summary>
    public double Run(ITrainingObjective objective, IReadOnlyList<IReadOnlyList<TrainingExample>> microBatches)
    {
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentNullException.ThrowIfNull(microBatches);
        if (microBatches.Count == 0) throw new ArgumentException("an optimizer step needs at least one micro-batch", nameof(microBatches));
        var tokens = microBatches.Select(b => b.Sum(e => (long)_targetTokens(e))).ToArray();
        long total = tokens.Sum();
        if (total <= 0) throw new ArgumentException("the step's examples hold no target token", nameof(microBatches));

        var kernels = _store.Backend.Kernels;
        var live = Enumerable.Range(0, microBatches.Count).Where(i => tokens[i] > 0).ToList();
        _store.ZeroGradients();
        if (live.Count == 1) return objective.AccumulateGradients(microBatches[live[0]]);

        _sum ??= Tensor.Allocate(_store.Backend, _store.Gradients.Shape, DType.F32);
        kernels.Fill(_sum, 0f);
        double loss = 0;
        foreach (int i in live)
        {
            double weight = (double)tokens[i] / total;
            _store.ZeroGradients();
            loss += weight * objective.AccumulateGradients(microBatches[i]);
            kernels.AddScaled(_sum, _store.Gradients, (float)weight, _sum);
        }
        // 0 + 1·sum is exact, so the store ends up holding the sum bit for bit.
        _store.ZeroGradients();
        kernels.AddScaled(_store.Gradients, _sum, 1f, _store.Gradients);
        return loss;
    }

    public void Dispose() => _sum?.Buffer.Dispose();
}
