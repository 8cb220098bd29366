using System.Runtime.CompilerServices;
using Clara.Engine.Native.Cublas;
using Clara.Engine.Native.Cuda;
using Clara.Engine.Native.Nvrtc;
using NUnit.Framework;

namespace Clara.Engine.Tests.Cuda;

/// <summary>
/// The value types that cross the native boundary have the C sizes (enums are C ints, CUdeviceptr is
/// 64-bit), and kernel arguments are laid out the way cuLaunchKernel reads them.
/// </summary>
public class InteropLayoutTests
{
    [Test]
    public void StatusAndEnumTypesAreCInts()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Unsafe.SizeOf<CuResult>(), Is.EqualTo(4));
            Assert.That(Unsafe.SizeOf<NvrtcResult>(), Is.EqualTo(4));
            Assert.That(Unsafe.SizeOf<CublasStatus>(), Is.EqualTo(4));
            Assert.That(Unsafe.SizeOf<CudaDeviceAttribute>(), Is.EqualTo(4));
            Assert.That(Unsafe.SizeOf<CudaFunctionAttribute>(), Is.EqualTo(4));
            Assert.That(Unsafe.SizeOf<StreamCaptureMode>(), Is.EqualTo(4));
            Assert.That(Unsafe.SizeOf<CublasOperation>(), Is.EqualTo(4));
            Assert.That(Unsafe.SizeOf<CudaDataType>(), Is.EqualTo(4));
            Assert.That(Unsafe.SizeOf<CublasComputeType>(), Is.EqualTo(4));
            Assert.That(Unsafe.SizeOf<CublasGemmAlgorithm>(), Is.EqualTo(4));
            Assert.That(Unsafe.SizeOf<CublasMath>(), Is.EqualTo(4));
        });
    }

    [Test]
    public void DevicePointersAre64Bit()
    {
        Assert.That(Unsafe.SizeOf<DevicePointer>(), Is.EqualTo(8));
        Assert.That((new DevicePointer(0x1000) + 0x234).Address, Is.EqualTo(0x1234UL));
    }

    [Test]
    public unsafe void KernelArgumentsPointAtTheirValuesInDeclarationOrder()
    {
        var args = new KernelArguments().Add(new DevicePointer(0xDEADBEEF00)).Add(-7).Add(2.5f).Add(1L << 40).Add(0xFFFFFFFFu);
        Span<nint> pointers = stackalloc nint[KernelArguments.Capacity];

        args.PointTo(pointers);

        Assert.That(args.Count, Is.EqualTo(5));
        Assert.That(*(ulong*)pointers[0], Is.EqualTo(0xDEADBEEF00UL), "pointer");
        Assert.That(*(int*)pointers[1], Is.EqualTo(-7), "int");
        Assert.That(*(float*)pointers[2], Is.EqualTo(2.5f), "float");
        Assert.That(*(long*)pointers[3], Is.EqualTo(1L << 40), "long long");
        Assert.That(*(uint*)pointers[4], Is.EqualTo(0xFFFFFFFFu), "unsigned");
        Assert.That((long)(pointers[1] - pointers[0]), Is.EqualTo(8L), "one 8-byte slot per argument");
    }

    [Test]
    public void TooManyKernelArgumentsAreRefused()
    {
        Assert.Throws<InvalidOperationException>(() =>
        {
            var args = new KernelArguments();
            for (int i = 0; i <= KernelArguments.Capacity; i++) args = args.Add(i);
        });
    }
}
