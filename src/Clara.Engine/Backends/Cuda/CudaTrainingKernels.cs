using Clara.Engine.Training;
using Clara.Engine.Backends.Cpu.Training;

namespace Clara.Engine.Backends.Cuda;

/// <summary>
/// The training-side kernels of the CUDA backend (not part of <see cref="IKernels"/>): cross-entropy,
/// the straight-through top-k, AdamW, the §2 alignment loss and storage casts. Each has a CPU twin in
/// <see cref="Clara.Engine.Backends.Cpu.Training"/> with the same argument order and semantics.
/// </summary>
public sealed class CudaTrainingKernels
{
    private readonly SoftmaxLauncher _softmax;
    private readonly TopKStraightThroughLauncher _topk;
    private readonly AdamWLauncher _adamw;
    private readonly MemoryAlignmentLauncher _alignment;
    private readonly CastLauncher _cast;

    internal CudaTrainingKernels(KernelLauncher launcher)
    {
        _softmax = new SoftmaxLauncher(launcher);
        _topk = new TopKStraightThroughLauncher(launcher);
        _adamw = new AdamWLauncher(launcher);
        _alignment = new MemoryAlignmentLauncher(launcher);
        _cast = new CastLauncher(launcher);
    }

    /// <summary>See <see cref="SoftmaxCrossEntropy.Forward"/>. logits F32 [rows, width]; targets I32 [rows]; losses, logSumExp F32 [rows].</summary>
    public void CrossEntropyForward(Tensor logits, Tensor targets, Tensor losses, Tensor logSumExp, int ignoreIndex = SoftmaxCrossEntropy.DefaultIgnoreIndex) =>
        _softmax.CrossEntropyForward(logits, targets, ignoreIndex, losses, logSumExp);

    /// <summary>See <see cref="SoftmaxCrossEntropy.Backward"/>. gradLogits may be the logits tensor itself.</summary>
    public void CrossEntropyBackward(Tensor logits, Tensor targets, Tensor logSumExp, float scale, Tensor gradLogits, int ignoreIndex = SoftmaxCrossEntropy.DefaultIgnoreIndex) =>
        _softmax.CrossEntropyBackward(logits, targets, logSumExp, ignoreIndex, scale, gradLogits);

    /// <summary>See <see cref="StraightThroughTopK.Forward"/>. scores F32 [B, n]; hard, soft F32 [B, k, n]; indices I32 [B, k].</summary>
    public void TopKForward(Tensor scores, int k, float temperature, Tensor hard, Tensor soft, Tensor indices) =>
        _topk.Forward(scores, k, temperature, hard, soft, indices);

    /// <summary>See <see cref="StraightThroughTopK.Backward"/>. soft, gradWeights F32 [B, k, n]; gradScores F32 [B, n].</summary>
    public void TopKBackward(Tensor soft, Tensor gradWeights, int k, float temperature, Tensor gradScores) =>
        _topk.Backward(soft, gradWeights, k, temperature, gradScores);

    /// <summary>See <see cref="AdamW.Step"/>: updates param, expAvg and expAvgSq (all F32, same size) in place.</summary>
    public void AdamWStep(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, in AdamWScalars scalars, float gradScale = 1f) =>
        _adamw.Step(param, grad, expAvg, expAvgSq, scalars, gradScale);

    /// <summary>See <see cref="MemoryAlignment.Means"/>. hidden F32 [B, len, width]; roles I32 [B, len]; means F32 [B, width].</summary>
    public void MemoryMeans(Tensor hidden, Tensor roles, Tensor docMean, Tensor memMean) =>
        _alignment.Means(hidden, roles, docMean, memMean);

    /// <summary>See <see cref="MemoryAlignment.Mse"/>. mse F32 [B].</summary>
    public void MemoryMse(Tensor docMean, Tensor memMean, Tensor mse) => _alignment.Mse(docMean, memMean, mse);

    /// <summary>Adds gradScale · ∂mse[b]/∂hidden for every document into gradHidden F32 [B, len, width].</summary>
    public void MemoryMseBackward(Tensor roles, Tensor docMean, Tensor memMean, float gradScale, Tensor gradHidden) =>
        _alignment.MseBackward(roles, docMean, memMean, gradScale, gradHidden);

    /// <summary>See <see cref="StorageCast.Convert"/>: same element count, F32/BF16/F16 either way.</summary>
    public void Cast(Tensor source, Tensor destination) => _cast.Forward(source, destination);
}
