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
}
