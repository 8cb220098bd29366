using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// Batched decoding's inner loop at 512 bits: four fp32 weight rows (already in L1/L2: widened or dequantised once
/// into scratch, or F32 rows in place) against four input rows at a time, sixteen accumulators, so each 64-byte load
/// feeds four FMAs (the 256-bit two-row loop fed two and was bound by its loads at batch 16). Four weight vectors, one
/// input vector and sixteen accumulators fit AVX-512's 32 registers; AVX2's 16 do not, so it keeps the two-row loop.
/// </summary>
internal static unsafe class GemvTile512
{
    private const int Lanes = 16;

    public static bool IsSupported => Avx512F.IsSupported && Vector512.IsHardwareAccelerated;

    /// <summary>
    /// Input rows <c>[first, first + 4)</c> of <paramref name="p"/> against the four fp32 weight rows at
    /// <paramref name="w"/> (<paramref name="wStride"/> floats apart), stored to output columns <c>[n, n + 4)</c>.
    /// </summary>
    public static void Dot4x4(in Product p, int first, int n, float* w, long wStride)
    {
        int k = p.K;
        float* x0 = p.X + (long)first * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
        float* w0 = w, w1 = w + wStride, w2 = w + 2 * wStride, w3 = w + 3 * wStride;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        int c = 0;
        for (; c + Lanes <= k; c += Lanes)
        {
            var r0 = Vector512.Load(w0 + c);
            var r1 = Vector512.Load(w1 + c);
            var r2 = Vector512.Load(w2 + c);
            var r3 = Vector512.Load(w3 + c);
            var v = Vector512.Load(x0 + c);
            a00 = Avx512F.FusedMultiplyAdd(r0, v, a00); a01 = Avx512F.FusedMultiplyAdd(r1, v, a01);
            a02 = Avx512F.FusedMultiplyAdd(r2, v, a02); a03 = Avx512F.FusedMultiplyAdd(r3, v, a03);
            v = Vector512.Load(x1 + c);
            a10 = Avx512F.FusedMultiplyAdd(r0, v, a10); a11 = Avx512F.FusedMultiplyAdd(r1, v, a11);
            a12 = Avx512F.FusedMultiplyAdd(r2, v, a12); a13 = Avx512F.FusedMultiplyAdd(r3, v, a13);
            v = Vector512.Load(x2 + c);
            a20 = Avx512F.FusedMultiplyAdd(r0, v, a20); a21 = Avx512F.FusedMultiplyAdd(r1, v, a21);
            a22 = Avx512F.FusedMultiplyAdd(r2, v, a22); a23 = Avx512F.FusedMultiplyAdd(r3, v, a23);
            v = Vector512.Load(x3 + c);
            a30 = Avx512F.FusedMultiplyAdd(r0, v, a30); a31 = Avx512F.FusedMultiplyAdd(r1, v, a31);
            a32 = Avx512F.FusedMultiplyAdd(r2, v, a32); a33 = Avx512F.FusedMultiplyAdd(r3, v, a33);
        }
        var s0 = FourSums.Reduce(a00, a01, a02, a03);
        var s1 = FourSums.Reduce(a10, a11, a12, a13);
        var s2 = FourSums.Reduce(a20, a21, a22, a23);
        var s3 = FourSums.Reduce(a30, a31, a32, a33);
        if (c < k)
        {
            s0 += Tail(x0, w0, wStride, c, k);
            s1 += Tail(x1, w0, wStride, c, k);
            s2 += Tail(x2, w0, wStride, c, k);
            s3 += Tail(x3, w0, wStride, c, k);
        }
        FourSums.Store(p, first, n, s0);
        FourSums.Store(p, first + 1, n, s1);
        FourSums.Store(p, first + 2, n, s2);
        FourSums.Store(p, first + 3, n, s3);
    }

    /// <summary>The last K mod 16 columns of one input row against the four weight rows.</summary>
    private static Vector128<float> Tail(float* x, float* w, long wStride, int from, int k)
    {
        float t0 = 0, t1 = 0, t2 = 0, t3 = 0;
        for (int c = from; c < k; c++)
        {
            float xc = x[c];
            t0 += w[c] * xc;
            t1 += w[wStride + c] * xc;
            t2 += w[2 * wStride + c] * xc;
            t3 += w[3 * wStride + c] * xc;
        }
        return Vector128.Create(t0, t1, t2, t3);
    }
}
