using Clara.Engine.Native.Cuda;
using NUnit.Framework;

namespace Clara.Engine.Tests.Cuda;

/// <summary>After a sticky error every later call fails fast and says that the process must be restarted.</summary>
public class DeviceFaultStateTests
{
    [Test]
    public void TheFirstStickyErrorFaultsTheDeviceForGood()
    {
        var state = new DeviceFaultState(device: 0);
        Assert.DoesNotThrow(() => state.ThrowIfFaulted("cuLaunchKernel"));

        var first = state.MarkFaulted("cuStreamSynchronize", CuResult.IllegalAddress, "CUDA_ERROR_ILLEGAL_ADDRESS (700): an illegal memory access was encountered");
        state.MarkFaulted("cuMemFree_v2", CuResult.LaunchFailed, "CUDA_ERROR_LAUNCH_FAILED (719)");
        var later = Assert.Throws<CudaDeviceFaultedException>(() => state.ThrowIfFaulted("cuLaunchKernel"));

        Assert.That(first.Message, Does.StartWith("cuStreamSynchronize failed: CUDA_ERROR_ILLEGAL_ADDRESS (700)"));
        Assert.That(first.Message, Does.Contain("process restart is required"));
        Assert.That(later!.Message, Does.StartWith("cuLaunchKernel refused: CUDA device 0 faulted earlier (cuStreamSynchronize failed: CUDA_ERROR_ILLEGAL_ADDRESS (700)"));
        Assert.That(later.Message, Does.Contain("process restart is required"));
        Assert.That(later.Fault.Result, Is.EqualTo(CuResult.IllegalAddress), "the first sticky error is the one remembered");
    }

    [TestCase(CuResult.IllegalAddress, true)]
    [TestCase(CuResult.LaunchFailed, true)]
    [TestCase(CuResult.MisalignedAddress, true)]
    [TestCase(CuResult.IllegalInstruction, true)]
    [TestCase(CuResult.HardwareStackError, true)]
    [TestCase(CuResult.Contained, true)]
    [TestCase(CuResult.Assert, true)]
    [TestCase(CuResult.TensorMemoryLeak, true)]
    [TestCase(CuResult.OutOfMemory, false)]
    [TestCase(CuResult.InvalidValue, false)]
    [TestCase(CuResult.LaunchOutOfResources, false)]
    public void OnlyTheDocumentedStickyErrorsFaultTheDevice(CuResult result, bool sticky) =>
        Assert.That(result.IsSticky(), Is.EqualTo(sticky));

    /// <summary>The numbers are cuda.h's: a wrong value would make a real sticky code look harmless.</summary>
    [TestCase(226, true, "CUDA_ERROR_CONTAINED")]
    [TestCase(710, true, "CUDA_ERROR_ASSERT")]
    [TestCase(721, true, "CUDA_ERROR_TENSOR_MEMORY_LEAK")]
    [TestCase(720, false, "CUDA_ERROR_720")]
    public void TheCodesCudaHCallsStickyAreStickyByNumber(int code, bool sticky, string name)
    {
        var result = (CuResult)code;
        Assert.That(result.IsSticky(), Is.EqualTo(sticky));
        Assert.That(result.FallbackName(), Is.EqualTo(name));
    }
}
