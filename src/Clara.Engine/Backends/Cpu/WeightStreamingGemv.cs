using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// Up to 16 input rows (decoding): eight weight rows at a time are dotted with each input row, widened in registers
/// when stored as BF16. The first input row streams the eight rows from memory (eight streams and FMA chains in
/// flight); the others find them in L1/L2, so every weight crosses the memory bus once. Runs only where
/// <see cref="StreamedGemv"/> cannot, at the widest accelerated width; the lanes' partial sums, and so the last bits
/// of each dot product, depend on that width.
/// </summary>
internal static unsafe class WeightStreamingGemv
{
    private const int RowsPerStep = 8;

    public static void Run(Product p, int threads)
    {
        // AVX2 + FMA machines (every x86-64 this runs on in practice) stream through the fused 256-bit kernel.
        if (StreamedGemv.IsSupported)
        {
            StreamedGemv.Run(p, threads);
            return;
        }
        RunPortable(p, threads, SimdDispatch.Widest);
    }

    /// <summary>The kernel for machines without AVX2 + FMA (ARM, older x86), at a given vector width.</summary>
    internal static void RunPortable(Product p, int threads, SimdWidth width)
    {
        var product = p;
        StaticPartition.Run(p.N, RowsPerStep, threads, (double)p.N * p.K * p.M, (start, end) =>
        {
            switch (width)
            {
                case SimdWidth.Bits512: RunRows<Simd512, Vector512<float>>(product, start, end); break;
                case SimdWidth.Bits256: RunRows<Simd256, Vector256<float>>(product, start, end); break;
                default: RunRows<Simd128, Vector128<float>>(product, start, end); break;
            }
        });
    }

    private static void RunRows<TSimd, TVec>(in Product p, int start, int end) where TSimd : ISimd<TVec> where TVec : struct
    {
        switch (p.WeightType)
        {
            case DType.F32: RunRows<TSimd, TVec, F32Weights>(p, start, end); break;
            case DType.BF16: RunRows<TSimd, TVec, Bf16Weights>(p, start, end); break;
            default: RunWidened(p, start, end); break;
        }
    }

    private static void RunRows<TSimd, TVec, TFormat>(in Product p, int start, int end)
        where TSimd : ISimd<TVec> where TVec : struct where TFormat : IWeightFormat
    {
        long rowBytes = (long)p.K * TFormat.Size;
        int n = start;
        for (; n + RowsPerStep <= end; n += RowsPerStep)
        {
            byte* w = p.W + n * rowBytes;
            for (int i = 0; i < p.M; i++)
            {
                var sums = Dot8<TSimd, TVec, TFormat>(p.X + (long)i * p.K, w, rowBytes, p.K);
                for (int r = 0; r < RowsPerStep; r++) p.Store((long)i * p.N + n + r, sums[r]);
            }
        }
        for (; n < end; n++)
            for (int i = 0; i < p.M; i++)
                p.Store((long)i * p.N + n, Dot1<TSimd, TVec, TFormat>(p.X + (long)i * p.K, p.W + n * rowBytes, p.K));
    }

    /// <summary>F16 rows are converted into a scratch row first (F16 is rare; BF16 and F32 are the hot paths).</summary>
    private static void RunWidened(in Product p, int start, int end)
    {
        var row = GC.AllocateUninitializedArray<float>(p.K);
        fixed (float* r = row)
            for (int n = start; n < end; n++)
            {
                p.ReadWeights(n, 0, p.K, r);
                for (int i = 0; i < p.M; i++)
                    p.Store((long)i * p.N + n, TensorPrimitives.Dot(new ReadOnlySpan<float>(p.X + (long)i * p.K, p.K), row));
            }
    }

    /// <summary>Dot products of one input row with eight consecutive weight rows.</summary>
    private static Sums8 Dot8<TSimd, TVec, TFormat>(float* x, byte* w, long rowBytes, int k)
        where TSimd : ISimd<TVec> where TVec : struct where TFormat : IWeightFormat
    {
        byte* w0 = w, w1 = w + rowBytes, w2 = w + 2 * rowBytes, w3 = w + 3 * rowBytes;
        byte* w4 = w + 4 * rowBytes, w5 = w + 5 * rowBytes, w6 = w + 6 * rowBytes, w7 = w + 7 * rowBytes;
        TVec a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        int lanes = TSimd.Lanes, c = 0;
        // Two vectors per row per step: more loads in flight (at 512 bits, a whole 64-byte line of each BF16 row).
        for (; c + 2 * lanes <= k; c += 2 * lanes)
        {
            var v = TSimd.Load(x + c);
            var u = TSimd.Load(x + c + lanes);
            a0 = TSimd.FusedMultiplyAdd(TFormat.Load<TSimd, TVec>(w0, c + lanes), u, TSimd.FusedMultiplyAdd(TFormat.Load<TSimd, TVec>(w0, c), v, a0));
            a1 = TSimd.FusedMultiplyAdd(TFormat.Load<TSimd, TVec>(w1, c + lanes), u, TSimd.FusedMultiplyAdd(TFormat.Load<TSimd, TVec>(w1, c), v, a1));
            a2 = TSimd.FusedMultiplyAdd(TFormat.Load<TSimd, TVec>(w2, c + lanes), u, TSimd.FusedMultiplyAdd(TFormat.Load<TSimd, TVec>(w2, c), v, a2));
            a3 = TSimd.FusedMultiplyAdd(TFormat.Load<TSimd, TVec>(w3, c + lanes), u, TSimd.FusedMultiplyAdd(TFormat.Load<TSimd, TVec>(w3, c), v, a3));
            a4 = TSimd.FusedMultiplyAdd(TFormat.Load<TSimd, TVec>(w4, c + lanes), u, TSimd.FusedMultiplyAdd(TFormat.Load<TSimd, TVec>(w4, c), v, a4));
            a5 = TSimd.FusedMultiplyAdd(TFormat.Load<TSimd, TVec>(w5, c + lanes), u, TSimd.FusedMultiplyAdd(TFormat.Load<TSimd, TVec>(w5, c), v, a5));
            a6 = TSimd.FusedMultiplyAdd(TFormat.Load<TSimd, TVec>(w6, c + lanes), u, TSimd.FusedMultiplyAdd(TFormat.Load<TSimd, TVec>(w6, c), v, a6));
            a7 = TSimd.FusedMultiplyAdd(TFormat.Load<TSimd, TVec>(w7, c + lanes), u, TSimd.FusedMultiplyAdd(TFormat.Load<TSimd, TVec>(w7, c), v, a7));
        }
        for (; c + lanes <= k; c += lanes)
        {
            var v = TSimd.Load(x + c);
            a0 = TSimd.FusedMultiplyAdd(TFormat.Load<TSimd, TVec>(w0, c), v, a0);
            a1 = TSimd.FusedMultiplyAdd(TFormat.Load<TSimd, TVec>(w1, c), v, a1);
            a2 = TSimd.FusedMultiplyAdd(TFormat.Load<TSimd, TVec>(w2, c), v, a2);
            a3 = TSimd.FusedMultiplyAdd(TFormat.Load<TSimd, TVec>(w3, c), v, a3);
            a4 = TSimd.FusedMultiplyAdd(TFormat.Load<TSimd, TVec>(w4, c), v, a4);
            a5 = TSimd.FusedMultiplyAdd(TFormat.Load<TSimd, TVec>(w5, c), v, a5);
            a6 = TSimd.FusedMultiplyAdd(TFormat.Load<TSimd, TVec>(w6, c), v, a6);
            a7 = TSimd.FusedMultiplyAdd(TFormat.Load<TSimd, TVec>(w7, c), v, a7);
        }
        var sums = new Sums8(TSimd.Sum(a0), TSimd.Sum(a1), TSimd.Sum(a2), TSimd.Sum(a3),
            TSimd.Sum(a4), TSimd.Sum(a5), TSimd.Sum(a6), TSimd.Sum(a7));
        for (; c < k; c++)
        {
            float xc = x[c];
            sums[0] += TFormat.Scalar(w0, c) * xc; sums[1] += TFormat.Scalar(w1, c) * xc;
            sums[2] += TFormat.Scalar(w2, c) * xc; sums[3] += TFormat.Scalar(w3, c) * xc;
            sums[4] += TFormat.Scalar(w4, c) * xc; sums[5] += TFormat.Scalar(w5, c) * xc;
            sums[6] += TFormat.Scalar(w6, c) * xc; sums[7] += TFormat.Scalar(w7, c) * xc;
        }
        return sums;
    }

    private static float Dot1<TSimd, TVec, TFormat>(float* x, byte* w, int k)
        where TSimd : ISimd<TVec> where TVec : struct where TFormat : IWeightFormat
    {
        TVec a = default;
        int lanes = TSimd.Lanes, c = 0;
        for (; c + lanes <= k; c += lanes) a = TSimd.FusedMultiplyAdd(TFormat.Load<TSimd, TVec>(w, c), TSimd.Load(x + c), a);
        float sum = TSimd.Sum(a);
        for (; c < k; c++) sum += TFormat.Scalar(w, c) * x[c];
        return sum;
    }

    [InlineArray(8)]
    private struct Sums8
    {
        private float _first;

        public Sums8(float s0, float s1, float s2, float s3, float s4, float s5, float s6, float s7)
        {
            this[0] = s0; this[1] = s1; this[2] = s2; this[3] = s3; this[4] = s4; this[5] = s5; this[6] = s6; this[7] = s7;
        }
    }
}
