using Clara.Engine.Backends.Cpu.Training;
using Clara.Engine.Native.Cuda;

namespace Clara.Engine.Backends.Cuda;

/// <summary>Launches kernels/topk_straight_through.cu.</summary>
internal sealed class TopKStraightThroughLauncher(KernelLauncher launcher)
{
    private const int Threads = 256;

    /// <summary>z and the taken mask (2·n floats) plus the reduction scratch must fit the default 48 KiB of shared memory.</summary>
    public const int MaxCandidates = 6000;

    public void Forward(Tensor scores, int k, float temperature, Tensor hard, Tensor soft, Tensor indices)
    {
        var s = launcher.F32(scores, "top-k scores");
        var h = launcher.F32(hard, "top-k hard weights");
        var p = launcher.F32(soft, "top-k soft weights");
        var idx = launcher.I32(indices, "top-k indices");
        var (batch, n) = Rows(scores, k);
        if (hard.ElementCount != (long)batch * k * n || soft.ElementCount != (long)batch * k * n || indices.ElementCount != (long)batch * k)
            throw new ArgumentException($"top-k outputs for [{batch}, {n}] scores with k = {k} need [{batch}, {k}, {n}] weights and [{batch}, {k}] indices");
        var args = new KernelArguments().Add(s).Add(h).Add(p).Add(idx).Add(n).Add(k).Add(StraightThroughTopK.EffectiveTemperature(temperature));
        launcher.Launch("topk_straight_through.cu", "clara_topk_st_forward", LaunchShapes.PerRow(batch, Threads, 2 * n * sizeof(float)), args);
    }

    public void Backward(Tensor soft, Tensor gradWeights, int k, float temperature, Tensor gradScores)
    {
        var p = launcher.F32(soft, "top-k soft weights");
        var g = launcher.F32(gradWeights, "top-k weight gradient");
        var ds = launcher.F32(gradScores, "top-k score gradient");
        var (batch, n) = Rows(gradScores, k);
        if (soft.ElementCount != (long)batch * k * n || gradWeights.ElementCount != (long)batch * k * n)
            throw new ArgumentException($"top-k backward for [{batch}, {n}] scores with k = {k} needs [{batch}, {k}, {n}] soft weights and gradients");
        var args = new KernelArguments().Add(p).Add(g).Add(ds).Add(n).Add(k).Add(StraightThroughTopK.EffectiveTemperature(temperature));
        launcher.Launch("topk_straight_through.cu", "clara_topk_st_backward", LaunchShapes.PerRow(batch, Threads, k * sizeof(float)), args);
    }

    private static (int Batch, int N) Rows(Tensor scores, int k)
    {
        int n = scores.Shape[-1];
        int batch = CudaTensor.IntCount(scores.Shape.Rows, "top-k scores");
        if (k <= 0 || k > n) throw new ArgumentOutOfRangeException(nameof(k), $"k = {k} must be in [1, {n}]");
        if (n > MaxCandidates) throw new NotSupportedException($"the CUDA top-k handles at most {MaxCandidates} candidates per row, got {n}");
        if (batch == 0) throw new ArgumentException("top-k scores are empty");
        return (batch, n);
    }
}
