using Clara.Engine.Backends.Cuda;
using NUnit.Framework;

namespace Clara.Engine.Tests.Cuda;

/// <summary>`clara selftest`: on a machine without a GPU it explains why and passes on the CPU-only part.</summary>
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
        Assert.That(exit, Is.Zero);
        Assert.That(text, Does.Contain("No CUDA device/driver found: "));
        Assert.That(text, Does.Contain($"compiled {KernelSources.FileNames.Count} kernel files for sm_80"));
        Assert.That(text, Does.Contain($"compiled {KernelSources.FileNames.Count} kernel files for sm_90"));
        Assert.That(text, Does.Contain("CPU-only part passed."));
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
