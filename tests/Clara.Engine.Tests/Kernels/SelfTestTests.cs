using Clara.Engine.Backends.Cuda;
using Clara.Engine.Diagnostics;
using Clara.Engine.Tests.Cuda;
using NUnit.Framework;

namespace Clara.Engine.Tests.Kernels;

/// <summary>
/// `clara selftest`: on a machine without a GPU it explains why and compiles the kernels, but a CUDA run
/// asked for explicitly is exit 3 (the GPU stack), and a missing NVRTC is never a pass. Outside the Cuda namespace,
/// which the GPU check runs on a device: these are the no-device behaviours (CudaKernelCheckTests is the device's).
/// </summary>
public class SelfTestTests
{
    [Test]
    public void WithoutADeviceItSaysWhyAndCompilesTheKernels()
    {
        if (CudaBackend.Probe(out _)) Assert.Ignore("this machine has a CUDA device; see CudaKernelCheckTests");
        NvrtcRequirement.Require();
        var output = new StringWriter();

        int exit = SelfTest.Run("cuda", output);

        var text = output.ToString();
        TestContext.Out.WriteLine(text);
        Assert.That(exit, Is.EqualTo(SelfTestExitCodes.GpuStackUnavailable).And.EqualTo(3), "CUDA was asked for and is missing");
        Assert.That(text, Does.Contain("No CUDA device/driver found: "));
        Assert.That(text, Does.Contain($"compiled {KernelSources.FileNames.Count} kernel files for sm_80"));
        Assert.That(text, Does.Contain($"compiled {KernelSources.FileNames.Count} kernel files for sm_90"));
        Assert.That(text, Does.Contain("CPU-only part passed."));
        Assert.That(text, Does.Contain("FAILED: CUDA was asked for ('cuda') but is not usable here (exit 3)"));
    }

    [Test]
    public void TheCpuOnlyPartPassesWhenEveryKernelCompiles()
    {
        NvrtcRequirement.Require();
        var output = new StringWriter();

        Assert.That(SelfTest.Run("cpu", output), Is.EqualTo(SelfTestExitCodes.Passed), output.ToString());
        Assert.That(output.ToString(), Does.Contain("CPU-only part passed."));
    }

    [TestCase("cpu")]
    [TestCase("cuda")]
    public void AMissingNvrtcIsNeverAPass(string device)
    {
        if (device == "cuda" && CudaBackend.Probe(out _)) Assert.Ignore("this machine has a CUDA device");
        var output = new StringWriter();

        int exit = SelfTest.Run(device, output, () => (null, "could not load NVRTC; tried 1 file name(s):\n  libnvrtc.so.13: gone"));

        var text = output.ToString();
        Assert.That(exit, Is.EqualTo(3), text);
        Assert.That(text, Does.Contain("NVRTC not found, kernels not compiled: could not load NVRTC"));
        Assert.That(text, Does.Not.Contain("passed"));
    }

    [Test]
    public void CudaSuitesFailInsteadOfSkippingUnderClaraRequireCuda()
    {
        var skipped = CudaRequirement.Outcome("no CUDA device", "could not load the CUDA driver", required: false);
        var failed = CudaRequirement.Outcome("no CUDA device", "could not load the CUDA driver", required: true);

        Assert.That(skipped.Fail, Is.False);
        Assert.That(failed.Fail, Is.True);
        Assert.That(failed.Message, Does.StartWith("no CUDA device: could not load the CUDA driver").And.Contain("CLARA_REQUIRE_CUDA=1"));
    }

    [TestCase("gpu")]
    [TestCase("cuda:x")]
    public void AnUnknownDeviceIsAnError(string device)
    {
        var output = new StringWriter();
        Assert.That(SelfTest.Run(device, output), Is.EqualTo(1));
        Assert.That(output.ToString(), Does.Contain($"unknown device '{device}'"));
    }
}

/// <summary>The GB/s column is a percentage of the device's own measured copy, not of an H100's; matmul and attention are timed too.</summary>
public class BandwidthReferenceTests
{
    private static DeviceBaseline Baseline() => new(1500,
    [
        new BaselineTiming("device-to-device copy", "256 MiB", 0.358, GigabytesPerSecond: 1500),
        new BaselineTiming("matmul bf16 tensor cores", "[2048, 4096]·[4096, 4096]ᵀ BF16 weights", 0.25, Teraflops: 275),
        new BaselineTiming("attention decode", "b=16 q=1 keys=2048 heads=32/8 d=128", 0.5, GigabytesPerSecond: 750),
    ]);

    [Test]
    public void PercentagesAreOfTheMeasuredCopyBandwidth()
    {
        var reference = Baseline().Bandwidth;

        Assert.That(reference.Percent(750), Is.EqualTo(50).Within(1e-12));
        Assert.That(reference.ColumnHeader, Is.EqualTo("% of 1500 GB/s"));
        Assert.That(reference.Source, Does.Contain("measured"));
    }

    [Test]
    public void EachTimingIsOneLineWithItsRate()
    {
        var lines = Baseline().Lines().ToArray();

        Assert.That(lines, Has.Length.EqualTo(3));
        Assert.That(lines[1], Does.Contain("matmul bf16 tensor cores").And.Contain("0.250 ms").And.Contain("275.0 TFLOP/s"));
        Assert.That(lines[2], Does.Contain("attention decode").And.Contain("750 GB/s (50% of copy)"));
        Assert.That(Baseline().Rate("matmul bf16 tensor cores"), Is.EqualTo(275));
        Assert.That(Baseline().Rate("absent"), Is.Null);
    }
}
