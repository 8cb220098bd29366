using System.Runtime.CompilerServices;

namespace Clara.Engine.Backends.Cpu;

internal readonly unsafe struct F32Weights : IWeightFormat
{
    public static int Size => sizeof(float);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Load<TSimd, TVec>(byte* row, int column) where TSimd : ISimd<TVec> where TVec : struct =>
        TSimd.Load((float*)row + column);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Scalar(byte* row, int column) => ((float*)row)[column];
}
