using Clara.Engine.Backends.Cpu.Training;
using Clara.Engine.Backends.Ops;
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
        var shape = TopKRules.Check(scores, k, temperature, hard, soft, indices);
        RequireFits(shape);
        var args = new KernelArguments().Add(launcher.F32(scores, "top-k scores")).Add(launcher.F32(hard, "top-k hard"))
            .Add(launcher.F32(soft, "top-k soft")).Add(launcher.I32(indices, "top-k indices"))
            .Add(shape.Count).Add(shape.K).Add(StraightThroughTopK.EffectiveTemperature(temperature)).Add(launcher.Faults);
        if (shape.Batch == 0) return;
        launcher.Launch("topk_straight_through.cu", "clara_topk_st_forward", LaunchShapes.PerRow(shape.Batch, Threads, 2 * shape.Count * sizeof(float)), args);
    }

    public void Backward(Tensor soft, Tensor gradWeights, float temperature, Tensor gradScores)
    {
        var shape = TopKRules.CheckBackward(soft, gradWeights, temperature, gradScores);
        RequireFits(shape);
        var args = new KernelArguments().Add(launcher.F32(soft, "top-k-backward soft")).Add(launcher.F32(gradWeights, "top-k-backward gradWeights"))
            .Add(launcher.F32(gradScores, "top-k-backward gradScores"))
            .Add(shape.Count).Add(shape.K).Add(StraightThroughTopK.EffectiveTemperature(temperature));
        launcher.Launch("topk_straight_through.cu", "clara_topk_st_backward", LaunchShapes.PerRow(shape.Batch, Threads, shape.K * sizeof(float)), args);
    }

    private static void RequireFits(TopKShape shape)
    {
        if (shape.Count > MaxCandidates) throw new NotSupportedException($"the CUDA top-k handles at most {MaxCandidates} candidates per row, got {shape.Count}");
    }
}
