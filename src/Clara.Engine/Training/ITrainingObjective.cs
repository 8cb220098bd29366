namespace Clara.Engine.Training;

/// <summary>
/// One stage's loss over a model, as one differentiable graph per batch on the model's backend. It owns the
/// <see cref="Parameters"/> (initialised from the current adapter or base weights); the trainer zeroes their
/// gradients, calls <see cref="AccumulateGradients"/> once per micro-batch and steps the optimizer on the store.
/// </summary>
public interface ITrainingObjective : IDisposable
{
    TrainingStage Stage { get; }

    /// <summary>The trainable tensors, named <c>&lt;adapter&gt;/&lt;PEFT tensor name&gt;</c> (HF names for base weights in stage lm).</summary>
    ParameterStore Parameters { get; }

    /// <summary>What examples must satisfy; check each with <see cref="TrainingExample.Validate"/> before any step runs.</summary>
    ExampleRules Rules { get; }

    /// <summary>
    /// Forward and backward of one batch (examples of this <see cref="Stage"/>): adds ∂loss/∂θ into the store's
    /// gradients (not zeroed here, so micro-batches accumulate) and returns the batch loss (spec §6: CE is the mean
    /// over the batch's target tokens).
    /// </summary>
    float AccumulateGradients(IReadOnlyList<TrainingExample> batch);

    /// <summary>The loss of one batch without touching the gradients (evaluation).</summary>
    float Evaluate(IReadOnlyList<TrainingExample> batch);

    /// <summary>Copies the store's current values into the model's own tensors, so inference uses the trained weights.</summary>
    void CopyToModel();

    /// <summary>
    /// Writes the trained tensors: every trained adapter as a PEFT directory <c>adapters/&lt;name&gt;/</c>
    /// (<c>adapter_config.json</c> + <c>adapter_model.safetensors</c>) under <paramref name="directory"/>, and in stage lm
    /// the base weights as <c>model.safetensors</c> with HF names.
    /// </summary>
    void Export(string directory);
}

/// <summary>Settings of a stage objective.</summary>
public sealed record TrainingOptions
{
    /// <summary>λ of spec §6.1: L = CE + λ·mean alignment loss (scp, and scp-rank §6.6).</summary>
    public float AlignmentWeight { get; init; } = 1f;

    /// <summary>μ of docs/clara-spec.md §6.6: L = SCP's loss + μ·mean rank CE (scp-rank only).</summary>
    public float RankWeight { get; init; } = 1f;

    /// <summary>
    /// The adapters that train; null takes the stage's own (§6): scp encoder+decoder, instruct decoder, e2e query
    /// reasoner+decoder, rank query reasoner, scp-rank all three.
    /// </summary>
    public IReadOnlyList<string>? TrainableAdapters { get; init; }

    /// <summary>τ of the straight-through top-k (e2e) and of the rank loss's softmax (rank, scp-rank); null takes clara.json's.</summary>
    public float? Temperature { get; init; }

    /// <summary>
    /// Activation checkpointing: keep only each decoder block's input through the forward and recompute the block in
    /// backward (<see cref="Graph.BackwardOptions.RecomputeSegments"/>). Less memory for one more forward of the blocks;
    /// the gradients are bit-identical.
    /// </summary>
    public bool CheckpointActivations { get; init; }

    /// <summary>
    /// Megabytes of the frozen compressor's document memories kept across batches in the stages where it is frozen
    /// (instruct, e2e, and rank when only the query reasoner trains): each distinct document is compressed once. 0
    /// compresses every batch's documents again inside its graph. The loss and gradients are the same either way.
    /// </summary>
    public int MemoryCacheMegabytes { get; init; } = 1024;
}
