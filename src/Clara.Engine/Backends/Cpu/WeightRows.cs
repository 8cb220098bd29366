using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>Reads rows of a weight-like tensor stored as F32, BF16 or F16 into fp32.</summary>
internal static class WeightRows
{
    /// <summary>Widens <paramref name="count"/> elements starting at element <paramref name="start"/> into <paramref name="destination"/>.</summary>
    public static void Read(Tensor weight, long start, Span<float> destination)
    {
        var bytes = CpuTensor.Bytes(weight);
        switch (weight.DType)
        {
            case DType.F32:
                MemoryMarshal.Cast<byte, float>(bytes).Slice((int)start, destination.Length).CopyTo(destination);
                break;
            case DType.BF16:
                IO.BulkConvert.BF16ToFloat32(MemoryMarshal.Cast<byte, ushort>(bytes).Slice((int)start, destination.Length), destination);
                break;
            case DType.F16:
                TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(bytes).Slice((int)start, destination.Length), destination);
                break;
            default:
                throw new ArgumentException($"cannot read {weight.DType} weights");
        }
    }
}
