using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// dst[c · dstStride + r] = src[r · srcStride + c]: the copy behind every packed panel and transposed operand of the
/// CPU products. Element by element it costs a strided store per value, as much as the multiply-adds it feeds when
/// the products are small (a 256-wide model's projections: 16 vector FMAs per packed value), so with AVX it moves
/// 8 × 8 blocks through registers (eight row loads, 24 shuffles, eight column stores). Only values move, so every
/// path gives the same bits.
/// </summary>
internal static unsafe class FloatTranspose
{
    public static void Run(float* src, long srcStride, int rows, int columns, float* dst, long dstStride)
    {
        int r = 0;
        if (Avx.IsSupported)
            for (; r + 8 <= rows; r += 8) EightRows(src + r * srcStride, srcStride, columns, dst + r, dstStride);
        for (; r < rows; r++)
        {
            float* row = src + r * srcStride;
            for (int c = 0; c < columns; c++) dst[c * dstStride + r] = row[c];
        }
    }

    private static void EightRows(float* src, long srcStride, int columns, float* dst, long dstStride)
    {
        int c = 0;
        for (; c + 8 <= columns; c += 8)
        {
            float* s = src + c;
            Vector256<float> r0 = Avx.LoadVector256(s), r1 = Avx.LoadVector256(s + srcStride);
            Vector256<float> r2 = Avx.LoadVector256(s + 2 * srcStride), r3 = Avx.LoadVector256(s + 3 * srcStride);
            Vector256<float> r4 = Avx.LoadVector256(s + 4 * srcStride), r5 = Avx.LoadVector256(s + 5 * srcStride);
            Vector256<float> r6 = Avx.LoadVector256(s + 6 * srcStride), r7 = Avx.LoadVector256(s + 7 * srcStride);
            var t0 = Avx.UnpackLow(r0, r1);    // a0 b0 a1 b1 | a4 b4 a5 b5
            var t1 = Avx.UnpackHigh(r0, r1);   // a2 b2 a3 b3 | a6 b6 a7 b7
            var t2 = Avx.UnpackLow(r2, r3);
            var t3 = Avx.UnpackHigh(r2, r3);
            var t4 = Avx.UnpackLow(r4, r5);
            var t5 = Avx.UnpackHigh(r4, r5);
            var t6 = Avx.UnpackLow(r6, r7);
            var t7 = Avx.UnpackHigh(r6, r7);
            var q0 = Avx.Shuffle(t0, t2, 0x44);   // a0 b0 c0 d0 | a4 b4 c4 d4
            var q1 = Avx.Shuffle(t0, t2, 0xEE);   // a1 b1 c1 d1 | a5 b5 c5 d5
            var q2 = Avx.Shuffle(t1, t3, 0x44);
            var q3 = Avx.Shuffle(t1, t3, 0xEE);
            var q4 = Avx.Shuffle(t4, t6, 0x44);   // e0 f0 g0 h0 | e4 f4 g4 h4
            var q5 = Avx.Shuffle(t4, t6, 0xEE);
            var q6 = Avx.Shuffle(t5, t7, 0x44);
            var q7 = Avx.Shuffle(t5, t7, 0xEE);
            float* d = dst + c * dstStride;
            Avx.Store(d, Avx.Permute2x128(q0, q4, 0x20));
            Avx.Store(d + dstStride, Avx.Permute2x128(q1, q5, 0x20));
            Avx.Store(d + 2 * dstStride, Avx.Permute2x128(q2, q6, 0x20));
            Avx.Store(d + 3 * dstStride, Avx.Permute2x128(q3, q7, 0x20));
            Avx.Store(d + 4 * dstStride, Avx.Permute2x128(q0, q4, 0x31));
            Avx.Store(d + 5 * dstStride, Avx.Permute2x128(q1, q5, 0x31));
            Avx.Store(d + 6 * dstStride, Avx.Permute2x128(q2, q6, 0x31));
            Avx.Store(d + 7 * dstStride, Avx.Permute2x128(q3, q7, 0x31));
        }
        for (; c < columns; c++)
            for (int r = 0; r < 8; r++) dst[c * dstStride + r] = src[r * srcStride + c];
    }
}
