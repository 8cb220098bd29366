using Clara.Engine.Backends.Cpu;
using Clara.Engine.Backends.Cuda;
using Clara.Engine.Diagnostics;
using Clara.Engine.Native.Nvrtc;
using Clara.Engine.Tensors;
using NUnit.Framework;

namespace Clara.Engine.Tests.Cuda;

/// <summary>
/// Defect 5 of issue 11: the straight-through top-k budgeted a fixed 48 000 B of dynamic shared memory, read as over
/// the 48 KiB a launch gets without opting in on sm_90 from the 1 280 B an sm_90 CUBIN records (the first GPU run
/// showed the driver counts 256 B: the reserved KiB is not in its figure). The budget is the driver's numbers: the
/// arithmetic is tested here without a GPU, on the static sizes NVRTC's CUBINs carry; the launch at the documented
/// maximum runs on a device (skipped, or failed under CLARA_REQUIRE_CUDA=1, without one).
/// </summary>
public class SharedMemoryBudgetTests
{
    private const int A100OptIn = 163 * 1024, H100OptIn = 227 * 1024;

    private static SharedMemoryLimits Fresh(int staticBytes, int optIn) => new(staticBytes, SharedMemoryBudget.DefaultMaxDynamic(staticBytes), optIn);

    [Test]
    public void UpToTheFunctionsCurrentLimitALaunchGoesAsIs()
    {
        var h100 = Fresh(1280, H100OptIn);
        Assert.That(h100.MaxDynamicBytes, Is.EqualTo(49152 - 1280));
        Assert.That(SharedMemoryBudget.Plan("k", 0, h100), Is.EqualTo(SharedMemoryStep.Launch));
        Assert.That(SharedMemoryBudget.Plan("k", 49152 - 1280, h100), Is.EqualTo(SharedMemoryStep.Launch));
    }

    [Test]
    public void TheOldFixedBudgetNeedsAnOptInOnSm90()
    {
        // 6 000 candidates × 8 B = 48 000 B, plus 1 280 B static (what an sm_90 CUBIN records): 49 280 B > 48 KiB.
        Assert.That(SharedMemoryBudget.Plan("clara_topk_st_forward", 48_000, Fresh(1280, H100OptIn)), Is.EqualTo(SharedMemoryStep.OptIn));
        Assert.That(SharedMemoryBudget.Plan("clara_topk_st_forward", 48_000, Fresh(256, A100OptIn)), Is.EqualTo(SharedMemoryStep.Launch));
    }

    [Test]
    public void AboveTheCurrentLimitItOptsInUpToTheDevicesPerBlockLimitLessTheStaticSize()
    {
        var h100 = Fresh(1280, H100OptIn);
        Assert.That(h100.MaxDynamicAfterOptIn, Is.EqualTo(232448 - 1280));
        Assert.That(SharedMemoryBudget.Plan("k", 49152 - 1280 + 1, h100), Is.EqualTo(SharedMemoryStep.OptIn));
        Assert.That(SharedMemoryBudget.Plan("k", 232448 - 1280, h100), Is.EqualTo(SharedMemoryStep.OptIn));
        var raised = h100 with { MaxDynamicBytes = 232448 - 1280 };
        Assert.That(SharedMemoryBudget.Plan("k", 100_000, raised), Is.EqualTo(SharedMemoryStep.Launch), "once raised, no second opt-in");
    }

    [Test]
    public void BeyondTheOptInLimitItIsRefusedWithTheNumbers()
    {
        var ex = Assert.Throws<NotSupportedException>(() => SharedMemoryBudget.Plan("clara_topk_st_forward", 232448 - 1280 + 1, Fresh(1280, H100OptIn)));

        Assert.That(ex!.Message, Does.Contain("clara_topk_st_forward").And.Contain("231169 B of dynamic")
            .And.Contain("1280 B of static").And.Contain("232448 B per block").And.Contain("at most 231168 B dynamic"));
        Assert.Throws<ArgumentOutOfRangeException>(() => SharedMemoryBudget.Plan("k", -1, Fresh(0, H100OptIn)));
    }

    [Test]
    public void ADeviceWithoutOptInKeepsTheDefault()
    {
        // Pre-Volta devices report an opt-in limit equal to the default 48 KiB.
        var old = Fresh(256, 48 * 1024);
        Assert.That(TopKStraightThroughLauncher.MaxCandidatesFor(old), Is.EqualTo((49152 - 256) / 8));
        Assert.Throws<NotSupportedException>(() => SharedMemoryBudget.Plan("k", 49152 - 256 + 4, old));
    }

    [Test]
    public void MaxItemsCountsWholeItemsAfterTheFixedPart()
    {
        var limits = Fresh(1000, 10_000);
        Assert.That(SharedMemoryBudget.MaxItems(limits, 8), Is.EqualTo(1125));
        Assert.That(SharedMemoryBudget.MaxItems(limits, 8, fixedBytes: 9), Is.EqualTo(1123));
        Assert.That(SharedMemoryBudget.MaxItems(Fresh(20_000, 10_000), 8), Is.EqualTo(0), "a static size over the limit leaves nothing");
    }

    /// <summary>
    /// The documented maxima of kernels/topk_straight_through.cu, from the static sizes in the CUBINs NVRTC makes for
    /// sm_80 and sm_90 and the A100's and H100's opt-in limits. An sm_90 CUBIN's section also holds the 1 KiB the
    /// hardware reserves per block, which the driver leaves out of the static size it reports (an H200, driver 580).
    /// </summary>
    [TestCase(80, A100OptIn, 256, 20_832)]
    [TestCase(90, H100OptIn, 1280, 29_024)]
    public void TheDocumentedTopKMaximumFollowsFromTheCubinsStaticSize(int architecture, int optIn, int expectedSection, int documentedMax)
    {
        var compiler = new KernelCompiler(NvrtcRequirement.Require(), new KernelCache(null));
        var cubin = compiler.Compile(KernelSources.Get("topk_straight_through.cu"), NvrtcOutputKind.Cubin, architecture, useCache: false).Image;

        int section = CubinSections.StaticSharedBytes(cubin, "clara_topk_st_forward");
        int max = TopKStraightThroughLauncher.MaxCandidatesFor(Fresh(CubinSections.DriverStaticBytes(section, architecture), optIn));

        Assert.That(section, Is.EqualTo(expectedSection), $"sm_{architecture} .nv.shared section of clara_topk_st_forward");
        Assert.That(max, Is.EqualTo(documentedMax), "update the documented maximum in kernels/topk_straight_through.cu");
        Assert.That(KernelSources.Get("topk_straight_through.cu").Text, Does.Contain($"N ≤ {documentedMax:#,0}".Replace(",", " ")));
    }
}

/// <summary>The top-k on a device at its documented maximum and one past it.</summary>
[NonParallelizable]
public class CudaTopKSharedMemoryTests : CudaDeviceFixture
{
    [Test]
    public void TheDriversStaticSizeIsTheCubins()
    {
        var gpu = RequireDevice();
        var launcher = new TopKStraightThroughLauncherProbe(gpu);
        var limits = launcher.Limits;
        int architecture = gpu.Device.ComputeCapability;
        var compiler = new KernelCompiler(NvrtcRequirement.Require(), new KernelCache(null));
        var (kind, target) = compiler.TargetFor(architecture);
        TestContext.Out.WriteLine($"{gpu}: {limits}; max candidates {launcher.MaxCandidates}");
        if (kind != NvrtcOutputKind.Cubin) Assert.Ignore($"NVRTC emits PTX for sm_{architecture} (compute_{target}); no CUBIN to compare");
        var cubin = compiler.Compile(KernelSources.Get("topk_straight_through.cu"), kind, target, useCache: false).Image;

        Assert.That(limits.StaticBytes, Is.EqualTo(CubinSections.DriverStaticBytes(CubinSections.StaticSharedBytes(cubin, "clara_topk_st_forward"), architecture)));
        Assert.That(limits.OptInBytesPerBlock, Is.GreaterThanOrEqualTo(48 * 1024));
    }

    [Test]
    public void AtTheDocumentedMaximumTheTopKMatchesItsCpuTwin()
    {
        var gpu = RequireDevice();
        int n = new TopKStraightThroughLauncherProbe(gpu).MaxCandidates;
        Assert.That(n, Is.GreaterThan(6000), "a device that can opt in holds more than the old fixed 6 000");
        const int batch = 2, k = 3;
        const float temperature = 0.25f;
        using var bench = new CheckBench(gpu, new CpuBackend(), seed: 11);
        var s = bench.Floats(bench.Normal((long)batch * n), [batch, n]);
        var hard = bench.Zeros(DType.F32, batch, k, n);
        var soft = bench.Zeros(DType.F32, batch, k, n);
        var indices = bench.Zeros(DType.I32, batch, k);
        var gradWeights = bench.Floats(bench.Normal((long)batch * k * n), [batch, k, n]);
        var gradScores = bench.Zeros(DType.F32, batch, n);

        bench.Cpu.Kernels.StraightThroughTopK(s.Cpu, k, temperature, hard.Cpu, soft.Cpu, indices.Cpu);
        gpu.Kernels.StraightThroughTopK(s.Device, k, temperature, hard.Device, soft.Device, indices.Device);
        bench.Cpu.Kernels.StraightThroughTopKBackward(soft.Cpu, gradWeights.Cpu, temperature, gradScores.Cpu);
        gpu.Kernels.StraightThroughTopKBackward(soft.Device, gradWeights.Device, temperature, gradScores.Device);

        Assert.That(indices.Device.ToIntArray(), Is.EqualTo(indices.Cpu.ToIntArray()), $"picks at N = {n}");
        Assert.That(CheckBench.Error(hard), Is.Zero);
        Assert.That(CheckBench.Error(soft), Is.LessThanOrEqualTo(1e-5));
        Assert.That(CheckBench.Error(gradScores), Is.LessThanOrEqualTo(1e-4));
    }

    [Test]
    public void OnePastTheMaximumIsRefusedClearly()
    {
        var gpu = RequireDevice();
        int n = new TopKStraightThroughLauncherProbe(gpu).MaxCandidates + 1;
        var scores = Tensor.Allocate(gpu, new Shape(1, n), DType.F32);
        var hard = Tensor.Allocate(gpu, new Shape(1, 1, n), DType.F32);
        var soft = Tensor.Allocate(gpu, new Shape(1, 1, n), DType.F32);
        var indices = Tensor.Allocate(gpu, new Shape(1, 1), DType.I32);
        try
        {
            var ex = Assert.Throws<NotSupportedException>(() => gpu.Kernels.StraightThroughTopK(scores, 1, 1f, hard, soft, indices));
            Assert.That(ex!.Message, Does.Contain($"at most {n - 1} candidates").And.Contain($"got {n}"));
            Assert.DoesNotThrow(gpu.Synchronize, "refused before the driver saw it: the device is fine");
        }
        finally
        {
            foreach (var t in new[] { scores, hard, soft, indices }) t.Buffer.Dispose();
        }
    }

    /// <summary>The backend's own launcher's view of the forward kernel.</summary>
    private sealed class TopKStraightThroughLauncherProbe(CudaBackend gpu)
    {
        public int MaxCandidates => gpu.CudaKernels.TopKMaxCandidates;
        public SharedMemoryLimits Limits => gpu.CudaKernels.TopKSharedMemory;
    }
}
