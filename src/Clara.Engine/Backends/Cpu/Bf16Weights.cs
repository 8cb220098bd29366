using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>A bf16 value is the upper half of an fp32 bit pattern: zero-extend to 32 bits and shift left by 16.</summary>
internal readonly unsafe struct Bf16Weights : IWeightFormat
{
    public static int Size => sizeof(ushort);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(byte* row, int column) =>
        Vector512.ShiftLeft(Vector512.WidenLower(Vector256.Load((ushort*)row + column).ToVector512()), 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Scalar(byte* row, int column) => FloatBits.BF16ToFloat(((ushort*)row)[column]);
}
