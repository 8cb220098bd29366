using Clara.Engine.Native.Cuda;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cuda;

/// <summary>Launches kernels/cast.cu: conversions between F32, BF16 and F16 storage.</summary>
internal sealed class CastLauncher(KernelLauncher launcher)
{
    public void Forward(Tensor source, Tensor destination)
    {
        CudaTensor.RequireSameCount(source, destination, "cast");
        CudaTensor.StorageSuffix(source, "cast source");
        CudaTensor.StorageSuffix(destination, "cast destination");
        var from = launcher.Any(source, "cast source");
        var to = launcher.Any(destination, "cast destination");
        if (source.DType == destination.DType)
        {
            launcher.Stream.CopyDeviceToDevice(from, to, source.ByteLength);
            return;
        }
        Run(from, source.DType, to, destination.DType, source.ElementCount);
    }

    internal void Run(DevicePointer source, DType from, DevicePointer destination, DType to, long count)
    {
        if (count == 0) return;
        string entry = $"clara_cast_{Suffix(from)}_{Suffix(to)}";
        var args = new KernelArguments().Add(source).Add(destination).Add(count);
        launcher.Launch("cast.cu", entry, LaunchShapes.Elementwise(count, launcher.Multiprocessors), args);
    }

    private static string Suffix(DType type) => type switch
    {
        DType.F32 => "f32",
        DType.BF16 => "bf16",
        DType.F16 => "f16",
        _ => throw new ArgumentException($"cannot cast {type}"),
    };
}
