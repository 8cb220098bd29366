using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// The input rows of an int8 product quantised to Q8_0 blocks as llama.cpp's AVX2 quantize_row_q8_0 does them: per
/// block d = max|x| / 127 and q = round(x · (127 / max|x|)), ties to even, d kept in fp32 (llama.cpp rounds it to
/// F16). Shared by the decode GEMV's int8 kind and the AVX-VNNI prefill GEMM, so both round the same values alike.
/// </summary>
internal static unsafe class Q8Activations
{
    private const int Block = Q8Blocks.BlockSize;

    /// <summary>
    /// Quantises <paramref name="count"/> values (whole blocks). With <paramref name="unsigned"/> each value is stored
    /// as q + 128 (its sign bit flipped), the unsigned operand AVX-VNNI's <c>vpdpbusd</c> multiplies.
    /// </summary>
    public static void Quantise(float* x, long count, sbyte* values, float* scales, bool unsigned = false)
    {
        for (long b = 0; b < count / Block; b++)
        {
            float* block = x + b * Block;
            var max = Vector256.Abs(Vector256.Load(block));
            for (int c = 8; c < Block; c += 8) max = Vector256.Max(max, Vector256.Abs(Vector256.Load(block + c)));
            float amax = HorizontalMax(max);
            float inverse = amax != 0f ? 127f / amax : 0f;
            scales[b] = amax / 127f;
            RoundBlock(block, inverse, values + b * Block, unsigned);
        }
    }

    /// <summary>
    /// 32 values times <paramref name="inverse"/>, rounded half to even (the conversion instructions' default mode, as
    /// <c>MathF.Round(v, MidpointRounding.ToEven)</c>), stored as int8. |q| ≤ 127, so no conversion saturates. Both
    /// callers need AVX2 for their products and check it first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RoundBlock(float* block, float inverse, sbyte* destination, bool unsigned)
    {
        sbyte flip = unsigned ? unchecked((sbyte)0x80) : (sbyte)0;
        if (Avx512F.IsSupported)
        {
            var scale16 = Vector512.Create(inverse);
            var low = Avx512F.ConvertToVector128SByte(Avx512F.ConvertToVector512Int32(Vector512.Load(block) * scale16));
            var high = Avx512F.ConvertToVector128SByte(Avx512F.ConvertToVector512Int32(Vector512.Load(block + 16) * scale16));
            (Vector256.Create(low, high) ^ Vector256.Create(flip)).Store(destination);
            return;
        }
        var scale = Vector256.Create(inverse);
        var q0 = Avx.ConvertToVector256Int32(Vector256.Load(block) * scale);
        var q1 = Avx.ConvertToVector256Int32(Vector256.Load(block + 8) * scale);
        var q2 = Avx.ConvertToVector256Int32(Vector256.Load(block + 16) * scale);
        var q3 = Avx.ConvertToVector256Int32(Vector256.Load(block + 24) * scale);
        // The packs work within 128-bit lanes; one dword permute puts the 32 values back in order.
        var packed = Avx2.PackSignedSaturate(Avx2.PackSignedSaturate(q0, q1), Avx2.PackSignedSaturate(q2, q3));
        (Avx2.PermuteVar8x32(packed.AsInt32(), Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7)).AsSByte() ^ Vector256.Create(flip)).Store(destination);
    }

    private static float HorizontalMax(Vector256<float> v)
    {
        var h = Vector128.Max(v.GetLower(), v.GetUpper());
        h = Vector128.Max(h, Vector128.Shuffle(h, Vector128.Create(2, 3, 0, 1)));
        h = Vector128.Max(h, Vector128.Shuffle(h, Vector128.Create(1, 0, 3, 2)));
        return h.ToScalar();
    }

    /// <summary>The calling thread's quantised values, pinned (the kernels' parts read them through pointers) and grown on demand.</summary>
    public static class Values
    {
        [ThreadStatic] private static sbyte[]? t_buffer;

        public static sbyte[] Rent(long count) => PinnedScratch.Grow(ref t_buffer, count, "a Q8_0 product's quantised inputs");
    }

    /// <summary>The calling thread's block scales of <see cref="Values"/>.</summary>
    public static class Scales
    {
        [ThreadStatic] private static float[]? t_buffer;

        public static float[] Rent(long count) => PinnedScratch.Grow(ref t_buffer, count, "a Q8_0 product's quantised inputs");
    }
}
