using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Clara.Engine.Backends.Cpu;

/// <summary>Four fp32 lanes (SSE, ARM NEON); also the width used, emulated, when no vector hardware is enabled.</summary>
internal readonly unsafe struct Simd128 : ISimd<Vector128<float>>
{
    public static int Lanes => Vector128<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load(float* source) => Vector128.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<float> value, float* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Broadcast(float value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> FusedMultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.MultiplyAddEstimate(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Multiply(Vector128<float> a, float b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector128<float> value) => Vector128.Sum(value);

    /// <summary>Four bf16 values are 8 bytes: one 64-bit load, so nothing past them is read.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LoadBf16(ushort* source) =>
        Vector128.ShiftLeft(Vector128.WidenLower(Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(source)).AsUInt16()), 16).AsSingle();
}
