using System.Runtime.CompilerServices;

namespace Clara.Engine.Tensors;

/// <summary>bf16 and fp16 conversions. bf16 rounds to nearest even, as PyTorch's .to(torch.bfloat16) does.</summary>
public static class FloatBits
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float BF16ToFloat(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FloatToBF16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x40);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    public static float F16ToFloat(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);
    public static ushort FloatToF16(float value) => BitConverter.HalfToUInt16Bits((Half)value);

    /// <summary>Converts a run of stored values of <paramref name="type"/> to fp32.</summary>
    public static void ToFloat(DType type, ReadOnlySpan<byte> source, Span<float> destination)
    {
        switch (type)
        {
            case DType.F32:
                System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(source)[..destination.Length].CopyTo(destination);
                break;
            case DType.BF16:
            {
                var src = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(source);
                for (int i = 0; i < destination.Length; i++) destination[i] = BF16ToFloat(src[i]);
                break;
            }
            case DType.F16:
            {
                var src = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(source);
                System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(src[..destination.Length], destination);
                break;
            }
            case DType.F64:
            {
                var src = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(source);
                for (int i = 0; i < destination.Length; i++) destination[i] = (float)src[i];
                break;
            }
            default:
                throw new NotSupportedException($"cannot convert {type} to fp32");
        }
    }

    /// <summary>Converts fp32 values to the storage type <paramref name="type"/>.</summary>
    public static void FromFloat(DType type, ReadOnlySpan<float> source, Span<byte> destination)
    {
        switch (type)
        {
            case DType.F32:
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(source).CopyTo(destination);
                break;
            case DType.BF16:
            {
                var dst = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(destination);
                for (int i = 0; i < source.Length; i++) dst[i] = FloatToBF16(source[i]);
                break;
            }
            case DType.F16:
            {
                var dst = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(destination);
                System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(source, dst[..source.Length]);
                break;
            }
            default:
                throw new NotSupportedException($"cannot convert fp32 to {type}");
        }
    }
}
