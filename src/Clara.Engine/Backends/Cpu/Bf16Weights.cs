using System.Runtime.CompilerServices;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>A bf16 value is the upper half of an fp32 bit pattern: zero-extend to 32 bits and shift left by 16.</summary>
internal readonly unsafe struct Bf16Weights : IWeightFormat
{
    public static int Size => sizeof(ushort);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Load<TSimd, TVec>(byte* row, int column) where TSimd : ISimd<TVec> where TVec : struct =>
        TSimd.LoadBf16((ushort*)row + column);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Scalar(byte* row, int column) => FloatBits.BF16ToFloat(((ushort*)row)[column]);
}
