using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// Decoding's matrix-vector products (up to <see cref="CpuMatMul.GemvMaxRows"/> input rows), bound by memory
/// bandwidth: every weight is read from DRAM once per step and widened to fp32 in registers inside the streamed dot
/// products — BF16 by a 16-bit shift, F16 by integer bit operations (.NET exposes no F16C conversion), so a 16-bit
/// weight costs half the bytes of an F32 one and no extra pass. One or two input rows (decoding one or two
/// sequences): the weight rows are read one after another, one sequential stream per thread (see <see cref="StreamRows"/>).
/// Threads split the weight rows in contiguous ranges, down to a few tens of KB each, so both cores stream even the
/// small K/V projections. 512-bit vectors where AVX-512 runs natively (<see cref="WideLoads"/>), else 256-bit.
/// Three or more input rows: four weight rows at a time; a 16-bit block of four rows is widened once into a per-thread
/// fp32 block that stays in L1/L2 (prefetched a fixed distance ahead, <see cref="PrefetchDistanceBytes"/>), and each
/// input row is dotted against it, so the widening is not repeated per input row. With AVX-512, four input rows at a
/// time (<see cref="GemvTile512"/>, sixteen accumulators); otherwise two (eight FMA chains), their sums reduced together
/// by horizontal adds.
/// </summary>
internal static unsafe class StreamedGemv
{
    private const int RowsPerBlock = RowBlockSplit.RowsPerBlock;

    /// <summary>
    /// F16 weights are widened to w·2^-112 (the bit pattern with fp32's exponent bias left unadjusted), so inputs are
    /// scaled by 2^56 and results by 2^56: both powers of two, so the products are exactly those of the unscaled
    /// values unless |x| exceeds 2^72 (overflow) — far outside any activation.
    /// </summary>
    private const float F16InputScale = 72057594037927936f; // 2^56

    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>
    /// How far ahead (weight bytes) the 16-bit blocks of four rows are prefetched while they are widened. Four
    /// interleaved rows of 1.5–4 KB each are too short for the hardware prefetcher to ramp up on before they end: when
    /// batch-1 decoding still read four rows at a time, one core read bf16/f16 at two thirds of the bytes per second it
    /// read f32 (bench <c>gemv</c>, one thread: 21 → 14 ms CPU per bf16 step, 27 → 15 ms f16 with this prefetch).
    /// </summary>
    private const int PrefetchDistanceBytes = 24 * 1024;

    public static void Run(Product p, int threads)
    {
        if (p.WeightType == DType.F16)
        {
            var scaled = ScaledInputs.Rent((long)p.M * p.K);
            fixed (float* xs = scaled)
            {
                var xScaled = new Span<float>(xs, p.M * p.K);
                System.Numerics.Tensors.TensorPrimitives.Multiply(new ReadOnlySpan<float>(p.X, p.M * p.K), F16InputScale, xScaled);
                var product = new Product(xs, p.W, p.WeightType, p.Y, p.M, p.N, p.K, p.Alpha * F16InputScale, p.Beta);
                Split<F16Lanes>(product, threads);
            }
        }
        else if (p.WeightType == DType.BF16) Split<Bf16Lanes>(p, threads);
        else Split<F32Lanes>(p, threads);
    }

    private static void Split<TFormat>(Product p, int threads) where TFormat : IStreamedFormat =>
        RowBlockSplit.Run(p, threads, TFormat.Size, (in Product q, int start, int end) => RunRows<TFormat>(q, start, end));

    private static void RunRows<TFormat>(in Product p, int start, int end) where TFormat : IStreamedFormat
    {
        long rowBytes = (long)p.K * TFormat.Size;
        if (p.M <= 2)
        {
            StreamRows<TFormat>(p, start, end, rowBytes);
            return;
        }
        bool widenOnce = TFormat.Size < sizeof(float);
        float[]? block = widenOnce ? WidenedBlock.Rent((long)RowsPerBlock * p.K) : null;
        long blockBytes = RowsPerBlock * rowBytes;
        // Prefetch never faults, so a distance that runs past the matrix's end is harmless.
        long aheadBytes = widenOnce ? Math.Max(1, (PrefetchDistanceBytes + blockBytes / 2) / blockBytes) * blockBytes : 0;
        int n = start;
        for (; n + RowsPerBlock <= end; n += RowsPerBlock)
        {
            byte* w = p.W + n * rowBytes;
            if (widenOnce)
            {
                fixed (float* wide = block)
                {
                    for (int r = 0; r < RowsPerBlock; r++) Widen<TFormat>(w + r * rowBytes, wide + (long)r * p.K, p.K, w + aheadBytes + r * rowBytes);
                    DotInputs<F32Lanes>(p, n, (byte*)wide, (long)p.K * sizeof(float));
                }
            }
            else
            {
                DotInputs<TFormat>(p, n, w, rowBytes);
            }
        }
        for (; n < end; n++)
            for (int i = 0; i < p.M; i++)
                p.Store((long)i * p.N + n, Dot1<TFormat>(p.X + (long)i * p.K, p.W + n * rowBytes, p.K));
    }

    /// <summary>
    /// Every input row against the four weight rows at <paramref name="w"/> (from row <paramref name="n"/>): four input
    /// rows at a time where AVX-512 has the registers for it (one load per two FMAs; one thread, batch 16, bf16: 54 → 50
    /// ms per small-125m step), then two at a time: each weight vector loaded feeds two FMAs, so the loads per FMA fall
    /// from 5/4 to 3/4 (the one-row loop was load-bound at batch 16).
    /// </summary>
    internal static void DotInputs<TFormat>(in Product p, int n, byte* w, long rowBytes) where TFormat : IStreamedFormat
    {
        int i = 0;
        if (typeof(TFormat) == typeof(F32Lanes) && GemvTile512.IsSupported)
            for (; i + 4 <= p.M; i += 4) GemvTile512.Dot4x4(p, i, n, (float*)w, rowBytes / sizeof(float));
        for (; i + 2 <= p.M; i += 2)
        {
            var (first, second) = Dot4x2<TFormat>(p.X + (long)i * p.K, p.X + (long)(i + 1) * p.K, w, rowBytes, p.K);
            FourSums.Store(p, i, n, first);
            FourSums.Store(p, i + 1, n, second);
        }
        if (i < p.M) FourSums.Store(p, i, n, Dot4<TFormat>(p.X + (long)i * p.K, w, rowBytes, p.K));
    }

    /// <summary>Two input rows against four consecutive weight rows: eight accumulators, one per (input, weight) pair.</summary>
    private static (Vector128<float> First, Vector128<float> Second) Dot4x2<TFormat>(float* x, float* y, byte* w, long rowBytes, int k)
        where TFormat : IStreamedFormat
    {
        byte* w0 = w, w1 = w + rowBytes, w2 = w + 2 * rowBytes, w3 = w + 3 * rowBytes;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
        int c = 0;
        for (; c + 8 <= k; c += 8)
        {
            var u = Vector256.Load(x + c);
            var v = Vector256.Load(y + c);
            var r0 = TFormat.Load8(w0, c);
            a0 = Fma.MultiplyAdd(r0, u, a0); b0 = Fma.MultiplyAdd(r0, v, b0);
            var r1 = TFormat.Load8(w1, c);
            a1 = Fma.MultiplyAdd(r1, u, a1); b1 = Fma.MultiplyAdd(r1, v, b1);
            var r2 = TFormat.Load8(w2, c);
            a2 = Fma.MultiplyAdd(r2, u, a2); b2 = Fma.MultiplyAdd(r2, v, b2);
            var r3 = TFormat.Load8(w3, c);
            a3 = Fma.MultiplyAdd(r3, u, a3); b3 = Fma.MultiplyAdd(r3, v, b3);
        }
        var first = FourSums.Reduce(a0, a1, a2, a3);
        var second = FourSums.Reduce(b0, b1, b2, b3);
        if (c == k) return (first, second);
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0;
        for (; c < k; c++)
        {
            float xc = x[c], yc = y[c];
            float v0 = TFormat.Scalar(w0, c), v1 = TFormat.Scalar(w1, c), v2 = TFormat.Scalar(w2, c), v3 = TFormat.Scalar(w3, c);
            s0 += v0 * xc; s1 += v1 * xc; s2 += v2 * xc; s3 += v3 * xc;
            t0 += v0 * yc; t1 += v1 * yc; t2 += v2 * yc; t3 += v3 * yc;
        }
        return (first + Vector128.Create(s0, s1, s2, s3), second + Vector128.Create(t0, t1, t2, t3));
    }

    /// <summary>
    /// One or two input rows: the weight rows one after another, so each thread reads its range as one sequential stream,
    /// which the hardware prefetcher follows at full speed. Reading four rows at a time (four interleaved streams of
    /// 1.5–3 KB each, too short for the prefetcher) streamed 27–29 GB/s of f32 and 22–30 of bf16 over a small-125m step
    /// on two Zen 4 cores; this reads 34–35 and 37–39 (bench <c>gemv</c>, same run), with no software prefetch.
    /// A second input row re-reads the weight row from L1.
    /// </summary>
    private static void StreamRows<TFormat>(in Product p, int start, int end, long rowBytes) where TFormat : IStreamedFormat
    {
        for (int n = start; n < end; n++)
        {
            byte* w = p.W + n * rowBytes;
            for (int i = 0; i < p.M; i++) p.Store((long)i * p.N + n, Dot1<TFormat>(p.X + (long)i * p.K, w, p.K));
        }
    }

    /// <summary>
    /// 512-bit loads and FMAs where the hardware runs them natively. Per weight byte the loop then issues half the
    /// instructions, which matters once one core's share of DRAM is ~40 GB/s: on a Zen 5 host (2 cores, 80 GB/s) the
    /// 256-bit loop widened f16 at ~52 GB/s (bound by its seven integer operations per eight weights) and read
    /// bf16/f32 at 66/76; the 512-bit loop 67, 75 and 83 (bench <c>gemv</c>, same run, decode's products in order).
    /// </summary>
    private static readonly bool WideLoads = Avx512F.IsSupported && Avx512BW.IsSupported && Vector512.IsHardwareAccelerated;

    /// <summary>Dot products of one input row with four consecutive weight rows.</summary>
    private static Vector128<float> Dot4<TFormat>(float* x, byte* w, long rowBytes, int k) where TFormat : IStreamedFormat
    {
        byte* w0 = w, w1 = w + rowBytes, w2 = w + 2 * rowBytes, w3 = w + 3 * rowBytes;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
        int c = 0;
        for (; c + 16 <= k; c += 16)
        {
            var u = Vector256.Load(x + c);
            var v = Vector256.Load(x + c + 8);
            a0 = Fma.MultiplyAdd(TFormat.Load8(w0, c), u, a0); b0 = Fma.MultiplyAdd(TFormat.Load8(w0, c + 8), v, b0);
            a1 = Fma.MultiplyAdd(TFormat.Load8(w1, c), u, a1); b1 = Fma.MultiplyAdd(TFormat.Load8(w1, c + 8), v, b1);
            a2 = Fma.MultiplyAdd(TFormat.Load8(w2, c), u, a2); b2 = Fma.MultiplyAdd(TFormat.Load8(w2, c + 8), v, b2);
            a3 = Fma.MultiplyAdd(TFormat.Load8(w3, c), u, a3); b3 = Fma.MultiplyAdd(TFormat.Load8(w3, c + 8), v, b3);
        }
        if (c + 8 <= k)
        {
            var u = Vector256.Load(x + c);
            a0 = Fma.MultiplyAdd(TFormat.Load8(w0, c), u, a0);
            a1 = Fma.MultiplyAdd(TFormat.Load8(w1, c), u, a1);
            a2 = Fma.MultiplyAdd(TFormat.Load8(w2, c), u, a2);
            a3 = Fma.MultiplyAdd(TFormat.Load8(w3, c), u, a3);
            c += 8;
        }
        var sums = FourSums.Reduce(a0 + b0, a1 + b1, a2 + b2, a3 + b3);
        if (c == k) return sums;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (; c < k; c++)
        {
            float xc = x[c];
            s0 += TFormat.Scalar(w0, c) * xc;
            s1 += TFormat.Scalar(w1, c) * xc;
            s2 += TFormat.Scalar(w2, c) * xc;
            s3 += TFormat.Scalar(w3, c) * xc;
        }
        return sums + Vector128.Create(s0, s1, s2, s3);
    }

    /// <summary>One input row against one weight row: 512 bits at a time where <see cref="WideLoads"/>, then 256, then one by one.</summary>
    private static float Dot1<TFormat>(float* x, byte* w, int k) where TFormat : IStreamedFormat
    {
        float sum = 0;
        int c = 0;
        if (WideLoads && !(typeof(TFormat) == typeof(F16Lanes) && TryDotFiniteF16(x, w, k, ref c, out sum)))
        {
            Vector512<float> wideA = default, wideB = default;
            for (; c + 32 <= k; c += 32)
            {
                wideA = Avx512F.FusedMultiplyAdd(TFormat.Load16(w, c), Vector512.Load(x + c), wideA);
                wideB = Avx512F.FusedMultiplyAdd(TFormat.Load16(w, c + 16), Vector512.Load(x + c + 16), wideB);
            }
            sum = Vector512.Sum(wideA + wideB);
        }
        Vector256<float> a = default, b = default;
        for (; c + 16 <= k; c += 16)
        {
            a = Fma.MultiplyAdd(TFormat.Load8(w, c), Vector256.Load(x + c), a);
            b = Fma.MultiplyAdd(TFormat.Load8(w, c + 8), Vector256.Load(x + c + 8), b);
        }
        if (c + 8 <= k)
        {
            a = Fma.MultiplyAdd(TFormat.Load8(w, c), Vector256.Load(x + c), a);
            c += 8;
        }
        sum += Vector256.Sum(a + b);
        for (; c < k; c++) sum += TFormat.Scalar(w, c) * x[c];
        return sum;
    }

    /// <summary>
    /// The 512-bit part of an F16 row's dot product without <see cref="F16Lanes.Load16"/>'s per-lane infinity/NaN
    /// fix-up (three of its six operations): instead the row's raw halves are screened for exponent 31 with a running
    /// unsigned maximum (two operations per 32 weights), and a row that has one returns false untouched, for the exact
    /// loop to redo. Every finite weight widens to the very bits Load16 gives it, so the sums are the same. Decode's
    /// products (`gemv`, f16, three alternated rounds): 62.6 → 66.3 GB/s a step, the lm_head 69 → 75.
    /// </summary>
    private static bool TryDotFiniteF16(float* x, byte* w, int k, ref int c, out float sum)
    {
        var exponent = Vector512.Create((ushort)0x7C00);
        var digits = Vector512.Create(F16Lanes.SignAndDigitsBits);
        Vector512<ushort> largest = default;
        Vector512<float> a = default, b = default;
        int column = c;
        for (; column + 32 <= k; column += 32)
        {
            largest = Vector512.Max(largest, Vector512.Load((ushort*)w + column) & exponent);
            var low = Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512Int32(Vector256.Load((short*)w + column)), 13) & digits;
            var high = Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512Int32(Vector256.Load((short*)w + column + 16)), 13) & digits;
            a = Avx512F.FusedMultiplyAdd(low.AsSingle(), Vector512.Load(x + column), a);
            b = Avx512F.FusedMultiplyAdd(high.AsSingle(), Vector512.Load(x + column + 16), b);
        }
        sum = 0;
        if (Vector512.EqualsAny(largest, exponent)) return false;
        sum = Vector512.Sum(a + b);
        c = column;
        return true;
    }

    /// <summary>One weight row widened to fp32 (for F16: w·2^-112, like <see cref="F16Lanes.Load8"/>), prefetching the row at <paramref name="ahead"/>.</summary>
    private static void Widen<TFormat>(byte* row, float* destination, int k, byte* ahead) where TFormat : IStreamedFormat
    {
        int c = 0;
        int columnsPerLine = 64 / TFormat.Size;
        if (WideLoads)
            for (; c + 16 <= k; c += 16)
            {
                if (c % columnsPerLine == 0) Sse.Prefetch0(ahead + (long)c * TFormat.Size);
                TFormat.Load16(row, c).Store(destination + c);
            }
        for (; c + 8 <= k; c += 8)
        {
            if (c % columnsPerLine == 0) Sse.Prefetch0(ahead + (long)c * TFormat.Size);
            TFormat.Load8(row, c).Store(destination + c);
        }
        for (; c < k; c++) destination[c] = TFormat.Scalar(row, c);
    }

    /// <summary>Per-thread scratch arrays, pinned (the kernels hold raw pointers) and grown on demand.</summary>
    private static class ScaledInputs
    {
        [ThreadStatic] private static float[]? t_buffer;

        public static float[] Rent(long floats) => PinnedScratch.Grow(ref t_buffer, floats, "a matrix-vector product");
    }

    private static class WidenedBlock
    {
        [ThreadStatic] private static float[]? t_buffer;

        public static float[] Rent(long floats) => PinnedScratch.Grow(ref t_buffer, floats, "a matrix-vector product");
    }
}

/// <summary>How one weight storage type reads as fp32 inside <see cref="StreamedGemv"/>: eight at a time, or one.</summary>
internal unsafe interface IStreamedFormat
{
    static abstract int Size { get; }
    static abstract Vector256<float> Load8(byte* row, int column);
    static abstract Vector512<float> Load16(byte* row, int column);
    static abstract float Scalar(byte* row, int column);
}

internal readonly unsafe struct F32Lanes : IStreamedFormat
{
    public static int Size => sizeof(float);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load8(byte* row, int column) => Vector256.Load((float*)row + column);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* row, int column) => Vector512.Load((float*)row + column);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Scalar(byte* row, int column) => ((float*)row)[column];
}

/// <summary>A bf16 value is the upper half of an fp32 bit pattern: zero-extend to 32 bits and shift left by 16.</summary>
internal readonly unsafe struct Bf16Lanes : IStreamedFormat
{
    public static int Size => sizeof(ushort);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load8(byte* row, int column) =>
        Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32((ushort*)row + column), 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* row, int column) =>
        Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512Int32(Vector256.Load((ushort*)row + column)), 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Scalar(byte* row, int column) => FloatBits.BF16ToFloat(((ushort*)row)[column]);
}

/// <summary>
/// An f16 value read as w·2^-112 in three integer operations: sign-extend to 32 bits and shift left by 13, which
/// puts the 5-bit exponent and 10-bit mantissa where fp32's low exponent bits and mantissa lie and the sign in bit
/// 31; clearing bits 28–30 (sign copies) leaves exactly the fp32 number w·2^-112 (subnormals included: they become
/// fp32 subnormals of the same digits). Infinity and NaN (exponent 31) get fp32's all-ones exponent by an OR.
/// </summary>
internal readonly unsafe struct F16Lanes : IStreamedFormat
{
    private const int SignAndDigits = unchecked((int)0x8FFFE000);

    /// <summary>The mask that keeps a shifted half's sign, exponent and mantissa bits (see the summary).</summary>
    public const int SignAndDigitsBits = SignAndDigits;
    private const int TopExponent = 0x0F800000;
    private const int WidenedExponentBits = 0x70000000;

    /// <summary>2^112: a lane <see cref="Load8"/> read, times this, is the F16 value itself (exactly).</summary>
    public const float ValueScale = 5.192296858534828e33f;

    public static int Size => sizeof(ushort);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load8(byte* row, int column)
    {
        var bits = Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32((short*)row + column), 13) & Vector256.Create(SignAndDigits);
        var top = Vector256.Create(TopExponent);
        var special = Avx2.CompareEqual(bits & top, top) & Vector256.Create(WidenedExponentBits);
        return (bits | special).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* row, int column)
    {
        var bits = Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512Int32(Vector256.Load((short*)row + column)), 13) & Vector512.Create(SignAndDigits);
        var top = Vector512.Create(TopExponent);
        var special = Vector512.Equals(bits & top, top);
        return Vector512.ConditionalSelect(special, bits | Vector512.Create(WidenedExponentBits), bits).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Scalar(byte* row, int column)
    {
        int bits = (((short*)row)[column] << 13) & SignAndDigits;
        if ((bits & TopExponent) == TopExponent) bits |= WidenedExponentBits;
        return BitConverter.Int32BitsToSingle(bits);
    }
}
