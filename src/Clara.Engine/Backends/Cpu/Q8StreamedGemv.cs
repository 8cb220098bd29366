using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>How <see cref="Q8StreamedGemv"/> forms a block's 32 products.</summary>
internal enum Q8DotKind
{
    /// <summary>
    /// As llama.cpp: each input row is quantised to Q8_0 blocks too (fp32 scale), the 32 int8 × int8 products summed
    /// exactly in int32 (AVX2 <c>vpmaddubsw</c> + <c>vpmaddwd</c>, or one AVX-VNNI <c>vpdpbusd</c>), then scaled.
    /// Adds the activations' rounding error (≤ half a step of max|x|/127 per value).
    /// </summary>
    Int8,

    /// <summary>
    /// The int8 weights widened to fp32 and multiplied with the fp32 inputs (no activation rounding): in registers for
    /// one or two input rows; for more, each four-row block dequantised once into scratch that every input row reads.
    /// </summary>
    Widened,
}

/// <summary>
/// Decoding's products with Q8_0 weights (1–16 input rows): every weight byte is streamed from memory once per step,
/// four weight rows at a time (four accumulator chains), each input row dotted against them while they sit in L1.
/// Threads split the weight rows in contiguous ranges of at least 48 KB. The kind of inner product is chosen by
/// measurement (<c>Clara.Engine.Bench q8-gemv</c>, bench/RESULTS.md): <see cref="KindFor"/>.
/// </summary>
internal static unsafe class Q8StreamedGemv
{
    private const int RowsPerBlock = RowBlockSplit.RowsPerBlock;
    private const int Block = Q8Blocks.BlockSize;

    /// <summary>
    /// Forces one kind for every row count; null (the default) lets <see cref="KindFor"/> choose. Settable only for
    /// measurements (the bench's q8-accuracy --q8-kind compares the two kinds' accuracy).
    /// </summary>
    public static Q8DotKind? KindOverride { get; internal set; }

    /// <summary>
    /// The kind <see cref="CpuMatMul"/> uses for <paramref name="rows"/> input rows, the faster in the q8-gemv
    /// microbenchmark (bench/RESULTS.md): int8 for one or two rows (4.1–4.3 against 4.3–4.7 ms per small-125m step on
    /// two Zen 4 cores), widened for more, where each four-row block is dequantised once and shared by every input row
    /// (batch 16: 21–22 against 28–32 ms).
    /// </summary>
    public static Q8DotKind KindFor(int rows) => KindOverride ?? (rows <= 2 ? Q8DotKind.Int8 : Q8DotKind.Widened);

    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    public static void Run(Product p, int threads) => Run(p, threads, KindFor(p.M));

    public static void Run(Product p, int threads, Q8DotKind kind)
    {
        if (!IsSupported) throw new PlatformNotSupportedException("the Q8_0 GEMV needs AVX2 and FMA");
        if (p.K % Block != 0) throw new ArgumentException($"a Q8_0 weight needs K to be a multiple of {Block}, not {p.K}");
        if (kind == Q8DotKind.Widened)
        {
            if (p.M >= 3) Split(p, threads, (in Product q, int start, int end) => DequantisedRows(q, start, end));
            else Split(p, threads, (in Product q, int start, int end) => WidenedRows(q, start, end));
            return;
        }
        // The inputs are quantised once, here, and read by every part.
        var values = Q8Activations.Values.Rent((long)p.M * p.K);
        var scales = Q8Activations.Scales.Rent((long)p.M * p.K / Block);
        fixed (sbyte* xq = values)
        fixed (float* xd = scales)
        {
            Q8Activations.Quantise(p.X, (long)p.M * p.K, xq, xd);
            // Lambdas cannot capture pointers: the addresses travel as integers (the arrays are pinned).
            nint valuesAddress = (nint)xq, scalesAddress = (nint)xd;
            Split(p, threads, (in Product q, int start, int end) => Int8Rows(q, (sbyte*)valuesAddress, (float*)scalesAddress, start, end));
        }
    }

    private static void Split(Product p, int threads, RowBlockSplit.RowRange rows) => RowBlockSplit.Run(p, threads, sizeof(sbyte), rows);

    private static void Int8Rows(in Product p, sbyte* xq, float* xd, int start, int end)
    {
        long rowBytes = p.K;
        int blocks = p.K / Block;
        int n = start;
        for (; n + RowsPerBlock <= end; n += RowsPerBlock)
        {
            var ahead = new Lookahead((sbyte*)p.W + (n + AheadRows) * rowBytes, p.Scales + (n + AheadRows) * blocks);
            for (int i = 0; i < p.M; i++)
                FourSums.Store(p, i, n, Int8Dot4(xq + (long)i * p.K, xd + (long)i * blocks, (sbyte*)p.W + n * rowBytes, p.Scales + (long)n * blocks, rowBytes, blocks,
                    i == 0 ? ahead : default));
        }
        for (; n < end; n++)
            for (int i = 0; i < p.M; i++)
                p.Store((long)i * p.N + n, Int8Dot1(xq + (long)i * p.K, xd + (long)i * blocks, (sbyte*)p.W + n * rowBytes, p.Scales + (long)n * blocks, blocks));
    }

    /// <summary>Σ over 32 lanes of w·x as 8 int32 lanes: |w| (unsigned) times x carrying w's sign, summed in pairs twice.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> BlockProducts(Vector256<sbyte> w, Vector256<sbyte> x)
    {
        var magnitudes = Avx2.Abs(w);
        var signed = Avx2.Sign(x, w);
        if (AvxVnni.IsSupported) return AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, magnitudes, signed);
        // |w|·x ≤ 127·127, so a pair sum (≤ 32 258) fits int16 without saturating.
        return Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(magnitudes, signed), Vector256.Create((short)1));
    }

    /// <summary>
    /// Four weight rows against one quantised input row. Eight blocks at a time, the per-block scales (weight × input)
    /// are formed as one vector, the weights' eight F16 scales widened by integer bit operations (<see cref="F16Lanes"/>),
    /// and each block's scale is moved into place by a lane permute: one instruction, where a scale looked up per block
    /// and row in the 256 KB F16 table cost a load (often from L2), a multiply and a broadcast (q8-gemv, one row, one
    /// thread: 5.7 → 5.3 ms per small-125m step; two threads stream at the memory's pace either way).
    /// </summary>
    private static Vector128<float> Int8Dot4(sbyte* x, float* xd, sbyte* w, ushort* scales, long rowBytes, int blocks, Lookahead ahead)
    {
        sbyte* w0 = w, w1 = w + rowBytes, w2 = w + 2 * rowBytes, w3 = w + 3 * rowBytes;
        ushort* s0 = scales, s1 = scales + blocks, s2 = scales + 2 * blocks, s3 = scales + 3 * blocks;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int b = 0;
        for (; b + ScaleGroup <= blocks; b += ScaleGroup)
        {
            var dx = Vector256.Load(xd + b);
            var d0 = Scales8(s0 + b) * dx;
            var d1 = Scales8(s1 + b) * dx;
            var d2 = Scales8(s2 + b) * dx;
            var d3 = Scales8(s3 + b) * dx;
            for (int j = 0; j < ScaleGroup; j++)
            {
                ahead.Fetch(b + j);
                int c = (b + j) * Block;
                var xv = Vector256.Load(x + c);
                var lane = Vector256.Create(j);
                a0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(BlockProducts(Vector256.Load(w0 + c), xv)), Avx2.PermuteVar8x32(d0, lane), a0);
                a1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(BlockProducts(Vector256.Load(w1 + c), xv)), Avx2.PermuteVar8x32(d1, lane), a1);
                a2 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(BlockProducts(Vector256.Load(w2 + c), xv)), Avx2.PermuteVar8x32(d2, lane), a2);
                a3 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(BlockProducts(Vector256.Load(w3 + c), xv)), Avx2.PermuteVar8x32(d3, lane), a3);
            }
        }
        for (; b < blocks; b++)
        {
            ahead.Fetch(b);
            int c = b * Block;
            var xv = Vector256.Load(x + c);
            float dx = xd[b];
            a0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(BlockProducts(Vector256.Load(w0 + c), xv)), Vector256.Create(dx * F16Table.Value(s0[b])), a0);
            a1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(BlockProducts(Vector256.Load(w1 + c), xv)), Vector256.Create(dx * F16Table.Value(s1[b])), a1);
            a2 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(BlockProducts(Vector256.Load(w2 + c), xv)), Vector256.Create(dx * F16Table.Value(s2[b])), a2);
            a3 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(BlockProducts(Vector256.Load(w3 + c), xv)), Vector256.Create(dx * F16Table.Value(s3[b])), a3);
        }
        return FourSums.Reduce(a0, a1, a2, a3);
    }

    private const int ScaleGroup = 8;

    /// <summary>Eight consecutive F16 block scales as fp32 (exact: every F16 value is an fp32 value).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Scales8(ushort* scales) => F16Lanes.Load8((byte*)scales, 0) * F16Lanes.ValueScale;

    private static float Int8Dot1(sbyte* x, float* xd, sbyte* w, ushort* scales, int blocks)
    {
        Vector256<float> a = default;
        for (int b = 0; b < blocks; b++)
        {
            int c = b * Block;
            a = Fma.MultiplyAdd(Avx.ConvertToVector256Single(BlockProducts(Vector256.Load(w + c), Vector256.Load(x + c))),
                Vector256.Create(xd[b] * F16Table.Value(scales[b])), a);
        }
        return Vector256.Sum(a);
    }

    /// <summary>
    /// Three or more input rows: each four-row block is dequantised once (value × its block's scale, exact in fp32)
    /// into an L1/L2 scratch block while the next block is prefetched, and every input row is dotted against it by
    /// <see cref="StreamedGemv.DotInputs"/> — the 16-bit weights' batched loop, so batch 16 pays the int8 widening once
    /// per weight instead of once per input row.
    /// </summary>
    private static void DequantisedRows(in Product p, int start, int end)
    {
        long rowBytes = p.K;
        int blocks = p.K / Block;
        var scratch = DequantisedBlock.Rent((long)RowsPerBlock * p.K);
        fixed (float* wide = scratch)
        {
            int n = start;
            for (; n + RowsPerBlock <= end; n += RowsPerBlock)
            {
                // The four rows are contiguous, values and scales alike, and so are their fp32 copies in scratch.
                Q8Dequantizer.ReadBlocks((sbyte*)p.W + n * rowBytes, p.Scales + (long)n * blocks, RowsPerBlock * blocks, wide,
                    (sbyte*)p.W + (n + AheadRows) * rowBytes, p.Scales + (long)(n + AheadRows) * blocks);
                StreamedGemv.DotInputs<F32Lanes>(p, n, (byte*)wide, (long)p.K * sizeof(float));
            }
            for (; n < end; n++)
                for (int i = 0; i < p.M; i++)
                    p.Store((long)i * p.N + n, WidenedDot1(p.X + (long)i * p.K, (sbyte*)p.W + n * rowBytes, p.Scales + (long)n * blocks, blocks));
        }
    }

    private static void WidenedRows(in Product p, int start, int end)
    {
        long rowBytes = p.K;
        int blocks = p.K / Block;
        int n = start;
        for (; n + RowsPerBlock <= end; n += RowsPerBlock)
        {
            var ahead = new Lookahead((sbyte*)p.W + (n + AheadRows) * rowBytes, p.Scales + (n + AheadRows) * blocks);
            for (int i = 0; i < p.M; i++)
                FourSums.Store(p, i, n, WidenedDot4(p.X + (long)i * p.K, (sbyte*)p.W + n * rowBytes, p.Scales + (long)n * blocks, rowBytes, blocks,
                    i == 0 ? ahead : default));
        }
        for (; n < end; n++)
            for (int i = 0; i < p.M; i++)
                p.Store((long)i * p.N + n, WidenedDot1(p.X + (long)i * p.K, (sbyte*)p.W + n * rowBytes, p.Scales + (long)n * blocks, blocks));
    }

    /// <summary>Eight int8 weights sign-extended and converted to fp32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Load8(sbyte* w) => Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(w));

    /// <summary>Σ w·x over one block of 32, as 8 lanes (before the block's scale).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> WidenedBlock(sbyte* w, Vector256<float> x0, Vector256<float> x1, Vector256<float> x2, Vector256<float> x3) =>
        Fma.MultiplyAdd(Load8(w + 24), x3, Fma.MultiplyAdd(Load8(w + 16), x2, Fma.MultiplyAdd(Load8(w + 8), x1, Avx.Multiply(Load8(w), x0))));

    private static Vector128<float> WidenedDot4(float* x, sbyte* w, ushort* scales, long rowBytes, int blocks, Lookahead ahead)
    {
        sbyte* w0 = w, w1 = w + rowBytes, w2 = w + 2 * rowBytes, w3 = w + 3 * rowBytes;
        ushort* s0 = scales, s1 = scales + blocks, s2 = scales + 2 * blocks, s3 = scales + 3 * blocks;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int b = 0; b < blocks; b++)
        {
            ahead.Fetch(b);
            int c = b * Block;
            var x0 = Vector256.Load(x + c);
            var x1 = Vector256.Load(x + c + 8);
            var x2 = Vector256.Load(x + c + 16);
            var x3 = Vector256.Load(x + c + 24);
            a0 = Fma.MultiplyAdd(WidenedBlock(w0 + c, x0, x1, x2, x3), Vector256.Create(F16Table.Value(s0[b])), a0);
            a1 = Fma.MultiplyAdd(WidenedBlock(w1 + c, x0, x1, x2, x3), Vector256.Create(F16Table.Value(s1[b])), a1);
            a2 = Fma.MultiplyAdd(WidenedBlock(w2 + c, x0, x1, x2, x3), Vector256.Create(F16Table.Value(s2[b])), a2);
            a3 = Fma.MultiplyAdd(WidenedBlock(w3 + c, x0, x1, x2, x3), Vector256.Create(F16Table.Value(s3[b])), a3);
        }
        return FourSums.Reduce(a0, a1, a2, a3);
    }

    private static float WidenedDot1(float* x, sbyte* w, ushort* scales, int blocks)
    {
        Vector256<float> a = default;
        for (int b = 0; b < blocks; b++)
        {
            int c = b * Block;
            var sum = WidenedBlock(w + c, Vector256.Load(x + c), Vector256.Load(x + c + 8), Vector256.Load(x + c + 16), Vector256.Load(x + c + 24));
            a = Fma.MultiplyAdd(sum, Vector256.Create(F16Table.Value(scales[b])), a);
        }
        return Vector256.Sum(a);
    }

    /// <summary>
    /// Rows between the block being read and the block prefetched: the next four-row block. A Q8_0 row is K bytes, 768 for
    /// a 125M model's projections: four interleaved rows that short end before the hardware prefetcher ramps up on them, so
    /// one core streamed 6.6 GB/s (q8-gemv, one thread, Zen 4). Prefetching the next block while this one is read gave
    /// 19–23 GB/s; blocks further ahead (12–96 KB) gave less, 12–19.
    /// </summary>
    private const int AheadRows = RowsPerBlock;

    /// <summary>
    /// The four-row block (values and scales, each contiguous) to prefetch while a block is read: per 32-column step the
    /// four rows consume 128 value bytes (two lines) and 8 scale bytes (a line every eighth step), so the same amounts are
    /// fetched at the same offsets ahead. Default (null): nothing is fetched. Prefetch never faults, so a block past the
    /// matrix's end is harmless.
    /// </summary>
    private readonly struct Lookahead(sbyte* values, ushort* scales)
    {
        private readonly sbyte* _values = values;
        private readonly ushort* _scales = scales;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Fetch(int block)
        {
            if (_values == null) return;
            sbyte* line = _values + (long)block * RowsPerBlock * Block;
            Sse.Prefetch0(line);
            Sse.Prefetch0(line + 64);
            if ((block & 7) == 0) Sse.Prefetch0(_scales + (long)block * RowsPerBlock);
        }
    }

    private static class DequantisedBlock
    {
        [ThreadStatic] private static float[]? t_buffer;

        public static float[] Rent(long count) => PinnedScratch.Grow(ref t_buffer, count, "a Q8_0 matrix-vector product");
    }
}
