using Clara.Engine.Backends.Cpu.Training;
using Clara.Engine.Backends.Ops;
using Clara.Engine.Native.Cuda;

namespace Clara.Engine.Backends.Cuda;

/// <summary>
/// Launches kernels/topk_straight_through.cu. The forward keeps z and the taken mask (2·N floats) of one row in
/// dynamic shared memory, so N is bounded by the device: <see cref="MaxCandidates"/> asks the driver for the
/// kernel's static shared memory and the device's per-block opt-in limit, and launches above 48 KiB opt in.
/// </summary>
internal sealed class TopKStraightThroughLauncher(KernelLauncher launcher)
{
    private const int Threads = 256;
    private const string File = "topk_straight_through.cu";
    private const string ForwardKernel = "clara_topk_st_forward";
    private const string BackwardKernel = "clara_topk_st_backward";

    /// <summary>Dynamic shared memory per candidate of the forward: z and the taken flag.</summary>
    public const int ForwardBytesPerCandidate = 2 * sizeof(float);

    /// <summary>Dynamic shared memory per slot of the backward: Σ_l dW[j, l] P[j, l].</summary>
    public const int BackwardBytesPerSlot = sizeof(float);

    /// <summary>The most candidates per row the forward handles on this device (the documented maximum: (opt-in limit − static) / 8).</summary>
    public int MaxCandidates => MaxCandidatesFor(ForwardSharedMemory);

    /// <summary>The forward kernel's shared memory limits on this device, as the driver reports them.</summary>
    public SharedMemoryLimits ForwardSharedMemory => launcher.SharedMemory(File, ForwardKernel);

    /// <summary>The arithmetic of <see cref="MaxCandidates"/>, for given limits.</summary>
    public static int MaxCandidatesFor(SharedMemoryLimits forward) => SharedMemoryBudget.MaxItems(forward, ForwardBytesPerCandidate);

    public void Forward(Tensor scores, int k, float temperature, Tensor hard, Tensor soft, Tensor indices)
    {
        var shape = TopKRules.Check(scores, k, temperature, hard, soft, indices);
        RequireFits(shape);
        var args = new KernelArguments().Add(launcher.F32(scores, "top-k scores")).Add(launcher.F32(hard, "top-k hard"))
            .Add(launcher.F32(soft, "top-k soft")).Add(launcher.I32(indices, "top-k indices"))
            .Add(shape.Count).Add(shape.K).Add(StraightThroughTopK.EffectiveTemperature(temperature)).Add(launcher.Faults);
        if (shape.Batch == 0) return;
        launcher.Launch(File, ForwardKernel, LaunchShapes.PerRow(shape.Batch, Threads, checked(ForwardBytesPerCandidate * shape.Count)), args);
    }

    public void Backward(Tensor soft, Tensor gradWeights, float temperature, Tensor gradScores)
    {
        var shape = TopKRules.CheckBackward(soft, gradWeights, temperature, gradScores);
        RequireFits(shape);
        var args = new KernelArguments().Add(launcher.F32(soft, "top-k-backward soft")).Add(launcher.F32(gradWeights, "top-k-backward gradWeights"))
            .Add(launcher.F32(gradScores, "top-k-backward gradScores"))
            .Add(shape.Count).Add(shape.K).Add(StraightThroughTopK.EffectiveTemperature(temperature));
        if (shape.Batch == 0) return;
        launcher.Launch(File, BackwardKernel, LaunchShapes.PerRow(shape.Batch, Threads, checked(BackwardBytesPerSlot * shape.K)), args);
    }

    private void RequireFits(TopKShape shape)
    {
        var limits = launcher.SharedMemory(File, ForwardKernel);
        int max = MaxCandidatesFor(limits);
        if (shape.Count > max)
            throw new NotSupportedException(
                $"the CUDA top-k keeps {ForwardBytesPerCandidate} B of shared memory per candidate, so it handles at most {max} candidates per row on {launcher.Backend} " +
                $"({limits.OptInBytesPerBlock} B per block after opting in, {limits.StaticBytes} B static), got {shape.Count}");
    }
}
