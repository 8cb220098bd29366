using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// More than <see cref="CpuMatMul.GemvMaxRows"/> input rows (prefill, compression): a cache-blocked product whose
/// micro-kernel keeps a tile of 32 input rows × 12 weight rows in 24 vector accumulators at 512 bits (in four parts of
/// 16 rows × 6 weights, 12 accumulators each, at 256 bits), the vectors running along the input rows. Each step loads
/// two vectors of packed inputs (one column of x) and broadcasts one weight per weight row, so W is never transposed: its rows are only copied
/// (or widened from BF16/F16) into a 24 KB panel that stays in L1 while the input panels of one row block stream
/// past it from L2. Inputs are packed once per K block into column-major panels; K runs in blocks of
/// <see cref="KBlock"/> and y accumulates across them. Threads split the input rows when there are enough of them
/// (each input packed once), otherwise the weight rows. A weight stored [K, N] (<see cref="Product.WeightKN"/>: dX = dY·W
/// in a backward pass) is read the same way without being transposed first: its panel is packed column-major (twelve
/// consecutive weights per K step, one contiguous copy each), and the micro-kernel only reads it with other strides,
/// so the sums are the very ones of the transposed weight.
/// </summary>
internal static unsafe class BroadcastGemm
{
    /// <summary>Whether <see cref="CpuMatMul.Multiply"/> would run this shape here (so a [K, N] weight may be sent as stored).</summary>
    public static bool TakesWeightKN(int m, int n, int k) =>
        m > CpuMatMul.GemvMaxRows && n > CpuMatMul.ThinLimit && k > CpuMatMul.ThinLimit;

    private const int RowTile = 32;          // input rows per micro-tile (two 512-bit vectors)
    private const int WeightTile = 12;       // weight rows per micro-tile
    private const int KBlock = 512;          // a 12 × 512 weight panel is 24 KB: it stays in L1 while input panels stream
    private const int RowBlock = 256;        // input rows packed together (RowBlock × KBlock floats = 512 KB, in L2)
    // Up to this many rows are packed as one block (768 KB, inside the 1 MB L2 of the Zen 4/5 hosts measured), so a
    // 275-token prefill does not copy every weight panel a second time for a 19-row tail block (lm_head +5-9 %).
    private const int MaxRowBlock = 384;
    private const int PaddedWeightTile = 16; // a tile's weight rows rounded up to two 8 × 8 transposes
    private const int TransposedOffset = PaddedWeightTile * RowTile; // where the row-major copy of a tile goes

    public static void Run(Product p, int threads) => Run(p, threads, SimdDispatch.Widest);

    /// <summary>The same product at a given width (tests run every width; one wider than the hardware's is emulated).</summary>
    internal static void Run(Product p, int threads, SimdWidth width)
    {
        switch (width)
        {
            case SimdWidth.Bits512: Run<Simd512, Vector512<float>, TwelveWeights>(p, threads); break;
            case SimdWidth.Bits256: Run<Simd256, Vector256<float>, SixWeights>(p, threads); break;
            default: Run<Simd128, Vector128<float>, SixWeights>(p, threads); break;
        }
    }

    private static void Run<TSimd, TVec, TWeights>(Product p, int threads)
        where TSimd : ISimd<TVec> where TVec : struct where TWeights : IWeightCount
    {
        var product = p;
        double work = (double)p.M * p.N * p.K;
        int weightTiles = (p.N + WeightTile - 1) / WeightTile;
        // Split the input rows when each thread gets whole row blocks: every input is then packed once. Otherwise
        // split the weight rows, each thread packing all (few) inputs and reading its own part of W.
        if (p.M >= RowBlock * threads || weightTiles < 2 * threads)
            StaticPartition.Run(p.M, RowTile, threads, work, (start, end) => RunBlock<TSimd, TVec, TWeights>(product, start, end, 0, product.N));
        else
            StaticPartition.Run(p.N, WeightTile, threads, work, (start, end) => RunBlock<TSimd, TVec, TWeights>(product, 0, product.M, start, end));
    }

    private static void RunBlock<TSimd, TVec, TWeights>(in Product p, int m0, int m1, int n0, int n1)
        where TSimd : ISimd<TVec> where TVec : struct where TWeights : IWeightCount
    {
        using var scratch = Scratch.Rent();
        float* packedX = scratch.PackedInputs, panel = scratch.WeightPanel, tile = scratch.Tile;
        for (int k0 = 0; k0 < p.K; k0 += KBlock)
        {
            int kc = Math.Min(KBlock, p.K - k0);
            bool firstBlock = k0 == 0;
            int rowBlock = m1 - m0 <= MaxRowBlock ? m1 - m0 : RowBlock;
            for (int mb = m0; mb < m1; mb += rowBlock)
            {
                int mc = Math.Min(rowBlock, m1 - mb);
                PackInputs(p, mb, mc, k0, kc, packedX);
                for (int n = n0; n < n1; n += WeightTile)
                {
                    int nr = Math.Min(WeightTile, n1 - n);
                    if (p.WeightKN)
                    {
                        LoadPanelKN(p, n, nr, k0, kc, panel);
                        for (int i = 0; i < mc; i += RowTile)
                        {
                            MicroTile<TSimd, TVec, ColumnMajorPanel, TWeights>(packedX + (long)i * kc, panel, kc, tile);
                            StoreTile(p, tile, mb + i, Math.Min(RowTile, mc - i), n, nr, firstBlock);
                        }
                        continue;
                    }
                    LoadPanel(p, n, nr, k0, kc, panel);
                    int tiles = (mc + RowTile - 1) / RowTile, next = n + WeightTile;
                    for (int i = 0, t = 0; i < mc; i += RowTile, t++)
                    {
                        if (next < n1) PrefetchPanel(p, next, Math.Min(WeightTile, n1 - next), k0, kc, t, tiles);
                        MicroTile<TSimd, TVec, RowMajorPanel, TWeights>(packedX + (long)i * kc, panel, kc, tile);
                        StoreTile(p, tile, mb + i, Math.Min(RowTile, mc - i), n, nr, firstBlock);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Part <paramref name="part"/> of <paramref name="parts"/> of the next weight panel's rows, into L2, while this
    /// panel's micro-tiles run: twelve rows of 1–2 KB each are too short for the hardware prefetcher, and copying a
    /// panel that was not in cache stalled a single-threaded prefill product for ~13 % of its time (~8 % with this).
    /// </summary>
    private static void PrefetchPanel(in Product p, int n, int nr, int k0, int kc, int part, int parts)
    {
        if (!Sse.IsSupported) return;
        int size = p.WeightType.SizeOf();
        long rowBytes = (long)kc * size;
        int rowsPerPart = (nr + parts - 1) / parts;
        for (int j = part * rowsPerPart, end = Math.Min(nr, j + rowsPerPart); j < end; j++)
        {
            byte* row = p.W + ((long)(n + j) * p.K + k0) * size;
            for (long offset = 0; offset < rowBytes; offset += 64) Sse.Prefetch1(row + offset);
        }
    }

    /// <summary>x[mb.., k0..] → panels of 32 rows, column-major inside (packed[c·32 + row]); missing rows are zero.</summary>
    private static void PackInputs(in Product p, int mb, int mc, int k0, int kc, float* packed)
    {
        for (int i = 0; i < mc; i += RowTile)
        {
            int rows = Math.Min(RowTile, mc - i);
            float* dst = packed + (long)i * kc;
            FloatTranspose.Run(p.X + (long)(mb + i) * p.K + k0, p.K, rows, kc, dst, RowTile);
            for (int r = rows; r < RowTile; r++)
                for (int c = 0; c < kc; c++) dst[c * RowTile + r] = 0f;
        }
    }

    /// <summary>W rows [n, n+nr) × columns [k0, k0+kc) → fp32 panel rows of stride <see cref="KBlock"/>; missing rows are zero.</summary>
    private static void LoadPanel(in Product p, int n, int nr, int k0, int kc, float* panel)
    {
        for (int j = 0; j < nr; j++) p.ReadWeights(n + j, k0, kc, panel + j * KBlock);
        for (int j = nr; j < WeightTile; j++) new Span<float>(panel + j * KBlock, kc).Clear();
    }

    /// <summary>
    /// Columns [n, n+nr) × rows [k0, k0+kc) of a [K, N] weight → a column-major panel (panel[c·12 + j] = W[k0 + c, n + j]),
    /// missing columns zero.
    /// </summary>
    private static void LoadPanelKN(in Product p, int n, int nr, int k0, int kc, float* panel)
    {
        if (nr == WeightTile && p.WeightType is DType.F32 or DType.BF16)
        {
            // The hot cases: one 8-wide and one 4-wide copy (widened in registers for BF16) per K step.
            if (p.WeightType == DType.F32)
            {
                float* src = (float*)p.W + (long)k0 * p.N + n;
                for (int c = 0; c < kc; c++, src += p.N)
                {
                    Vector256.Load(src).Store(panel + c * WeightTile);
                    Vector128.Load(src + 8).Store(panel + c * WeightTile + 8);
                }
            }
            else
            {
                ushort* src = (ushort*)p.W + (long)k0 * p.N + n;
                for (int c = 0; c < kc; c++, src += p.N)
                {
                    float* dst = panel + c * WeightTile;
                    Vector256.ShiftLeft(Vector256.WidenLower(Vector128.Load(src).ToVector256()), 16).AsSingle().Store(dst);
                    for (int j = 8; j < WeightTile; j++) dst[j] = FloatBits.BF16ToFloat(src[j]);
                }
            }
            return;
        }
        for (int c = 0; c < kc; c++)
        {
            float* dst = panel + c * WeightTile;
            p.ReadStored((long)(k0 + c) * p.N + n, nr, dst);
            for (int j = nr; j < WeightTile; j++) dst[j] = 0f;
        }
    }

    /// <summary>Where weight (j, c) of a K block sits in a panel: <c>c · C + j · J</c>.</summary>
    private interface IPanelLayout
    {
        static abstract int C { get; }
        static abstract int J { get; }
    }

    /// <summary>A [N, K] weight's rows copied as they are: row j of the tile at stride <see cref="KBlock"/>.</summary>
    private readonly struct RowMajorPanel : IPanelLayout
    {
        public static int C => 1;
        public static int J => KBlock;
    }

    /// <summary>A [K, N] weight's rows copied as they are: the tile's twelve weights of one K step side by side.</summary>
    private readonly struct ColumnMajorPanel : IPanelLayout
    {
        public static int C => WeightTile;
        public static int J => 1;
    }

    /// <summary>
    /// One 32 × 12 tile: the kernel below on each of its (2·lanes rows × <typeparamref name="TWeights"/>) parts, one
    /// part at 512 bits, four at 256 (16 rows × 6 weights, the 12-accumulator tile that fits AVX2's 16 registers).
    /// </summary>
    private static void MicroTile<TSimd, TVec, TLayout, TWeights>(float* x, float* w, int kc, float* tile)
        where TSimd : ISimd<TVec> where TVec : struct where TLayout : struct, IPanelLayout where TWeights : IWeightCount
    {
        for (int r = 0; r < RowTile; r += 2 * TSimd.Lanes)
            for (int j = 0; j < WeightTile; j += TWeights.Count)
                MicroKernel<TSimd, TVec, TLayout, TWeights>(x + r, w + j * TLayout.J, kc, tile + j * RowTile + r);
    }

    /// <summary>
    /// tile[j·32 + r] = Σ_c x[r, c] · W[j, c] over one K block, for 2·lanes rows r and <typeparamref name="TWeights"/>
    /// weights j: two input vectors and one broadcast per weight each step. Each sum is the same chain of fused
    /// multiply-adds over c at every width and part size, so the tile is bit-identical whichever width runs it.
    /// </summary>
    private static void MicroKernel<TSimd, TVec, TLayout, TWeights>(float* x, float* w, int kc, float* tile)
        where TSimd : ISimd<TVec> where TVec : struct where TLayout : struct, IPanelLayout where TWeights : IWeightCount
    {
        TVec c00 = default, c01 = default, c02 = default, c03 = default, c04 = default, c05 = default;
        TVec c06 = default, c07 = default, c08 = default, c09 = default, c10 = default, c11 = default;
        TVec d00 = default, d01 = default, d02 = default, d03 = default, d04 = default, d05 = default;
        TVec d06 = default, d07 = default, d08 = default, d09 = default, d10 = default, d11 = default;
        int lanes = TSimd.Lanes;
        for (int c = 0; c < kc; c++)
        {
            var a = TSimd.Load(x + c * RowTile);
            var b = TSimd.Load(x + c * RowTile + lanes);
            float* wc = w + c * TLayout.C;
            TVec s;
            s = TSimd.Broadcast(wc[0 * TLayout.J]); c00 = TSimd.FusedMultiplyAdd(a, s, c00); d00 = TSimd.FusedMultiplyAdd(b, s, d00);
            s = TSimd.Broadcast(wc[1 * TLayout.J]); c01 = TSimd.FusedMultiplyAdd(a, s, c01); d01 = TSimd.FusedMultiplyAdd(b, s, d01);
            s = TSimd.Broadcast(wc[2 * TLayout.J]); c02 = TSimd.FusedMultiplyAdd(a, s, c02); d02 = TSimd.FusedMultiplyAdd(b, s, d02);
            s = TSimd.Broadcast(wc[3 * TLayout.J]); c03 = TSimd.FusedMultiplyAdd(a, s, c03); d03 = TSimd.FusedMultiplyAdd(b, s, d03);
            s = TSimd.Broadcast(wc[4 * TLayout.J]); c04 = TSimd.FusedMultiplyAdd(a, s, c04); d04 = TSimd.FusedMultiplyAdd(b, s, d04);
            s = TSimd.Broadcast(wc[5 * TLayout.J]); c05 = TSimd.FusedMultiplyAdd(a, s, c05); d05 = TSimd.FusedMultiplyAdd(b, s, d05);
            if (TWeights.Count > 6)
            {
                s = TSimd.Broadcast(wc[6 * TLayout.J]); c06 = TSimd.FusedMultiplyAdd(a, s, c06); d06 = TSimd.FusedMultiplyAdd(b, s, d06);
                s = TSimd.Broadcast(wc[7 * TLayout.J]); c07 = TSimd.FusedMultiplyAdd(a, s, c07); d07 = TSimd.FusedMultiplyAdd(b, s, d07);
                s = TSimd.Broadcast(wc[8 * TLayout.J]); c08 = TSimd.FusedMultiplyAdd(a, s, c08); d08 = TSimd.FusedMultiplyAdd(b, s, d08);
                s = TSimd.Broadcast(wc[9 * TLayout.J]); c09 = TSimd.FusedMultiplyAdd(a, s, c09); d09 = TSimd.FusedMultiplyAdd(b, s, d09);
                s = TSimd.Broadcast(wc[10 * TLayout.J]); c10 = TSimd.FusedMultiplyAdd(a, s, c10); d10 = TSimd.FusedMultiplyAdd(b, s, d10);
                s = TSimd.Broadcast(wc[11 * TLayout.J]); c11 = TSimd.FusedMultiplyAdd(a, s, c11); d11 = TSimd.FusedMultiplyAdd(b, s, d11);
            }
        }
        TSimd.Store(c00, tile + 0 * RowTile); TSimd.Store(d00, tile + 0 * RowTile + lanes);
        TSimd.Store(c01, tile + 1 * RowTile); TSimd.Store(d01, tile + 1 * RowTile + lanes);
        TSimd.Store(c02, tile + 2 * RowTile); TSimd.Store(d02, tile + 2 * RowTile + lanes);
        TSimd.Store(c03, tile + 3 * RowTile); TSimd.Store(d03, tile + 3 * RowTile + lanes);
        TSimd.Store(c04, tile + 4 * RowTile); TSimd.Store(d04, tile + 4 * RowTile + lanes);
        TSimd.Store(c05, tile + 5 * RowTile); TSimd.Store(d05, tile + 5 * RowTile + lanes);
        if (TWeights.Count <= 6) return;
        TSimd.Store(c06, tile + 6 * RowTile); TSimd.Store(d06, tile + 6 * RowTile + lanes);
        TSimd.Store(c07, tile + 7 * RowTile); TSimd.Store(d07, tile + 7 * RowTile + lanes);
        TSimd.Store(c08, tile + 8 * RowTile); TSimd.Store(d08, tile + 8 * RowTile + lanes);
        TSimd.Store(c09, tile + 9 * RowTile); TSimd.Store(d09, tile + 9 * RowTile + lanes);
        TSimd.Store(c10, tile + 10 * RowTile); TSimd.Store(d10, tile + 10 * RowTile + lanes);
        TSimd.Store(c11, tile + 11 * RowTile); TSimd.Store(d11, tile + 11 * RowTile + lanes);
    }

    /// <summary>How many weights one micro-kernel holds: a constant to the JIT, so the unused half's code is dropped.</summary>
    private interface IWeightCount
    {
        static abstract int Count { get; }
    }

    /// <summary>At 512 bits: 24 of the 32 vector registers.</summary>
    private readonly struct TwelveWeights : IWeightCount
    {
        public static int Count => 12;
    }

    /// <summary>At 256 and 128 bits: 12 of the 16 vector registers (AVX2, SSE).</summary>
    private readonly struct SixWeights : IWeightCount
    {
        public static int Count => 6;
    }

    /// <summary>Writes the valid rows × columns of a tile (stored weight-row-major) into y, row by row.</summary>
    private static void StoreTile(in Product p, float* tile, int m, int rows, int n, int columns, bool firstBlock)
    {
        if (rows == RowTile && columns == WeightTile && Avx.IsSupported)
        {
            StoreWholeTile(p, tile, m, n, firstBlock);
            return;
        }
        float alpha = p.Alpha, beta = p.Beta;
        for (int r = 0; r < rows; r++)
        {
            float* y = p.Y + (long)(m + r) * p.N + n;
            float* t = tile + r;
            if (!firstBlock)
                for (int j = 0; j < columns; j++) y[j] += alpha * t[j * RowTile];
            else if (beta == 0f)
                for (int j = 0; j < columns; j++) y[j] = alpha * t[j * RowTile];
            else
                for (int j = 0; j < columns; j++) y[j] = alpha * t[j * RowTile] + beta * y[j];
        }
    }

    /// <summary>
    /// A full tile, turned row-major by two 8 × 8 register transposes (its rows 12–15 are scratch), then stored as one
    /// 8-wide and one 4-wide vector per output row: the element-by-element store read the tile at a 32-float stride
    /// and was ~12 % of a single-threaded prefill product. The same multiplies and adds per element, so the same bits.
    /// </summary>
    private static void StoreWholeTile(in Product p, float* tile, int m, int n, bool firstBlock)
    {
        float* rows = tile + TransposedOffset;
        FloatTranspose.Run(tile, RowTile, PaddedWeightTile, RowTile, rows, PaddedWeightTile);
        var alpha8 = Vector256.Create(p.Alpha);
        var alpha4 = Vector128.Create(p.Alpha);
        var beta8 = Vector256.Create(p.Beta);
        var beta4 = Vector128.Create(p.Beta);
        bool readY = !firstBlock || p.Beta != 0f;
        for (int r = 0; r < RowTile; r++)
        {
            float* y = p.Y + (long)(m + r) * p.N + n;
            float* t = rows + r * PaddedWeightTile;
            var low = alpha8 * Vector256.Load(t);
            var high = alpha4 * Vector128.Load(t + 8);
            if (readY)
            {
                var yLow = Vector256.Load(y);
                var yHigh = Vector128.Load(y + 8);
                if (firstBlock)
                {
                    yLow *= beta8;
                    yHigh *= beta4;
                }
                low += yLow;
                high += yHigh;
            }
            low.Store(y);
            high.Store(y + 8);
        }
    }

    /// <summary>Per-thread 64-byte aligned buffers, reused across calls on the same thread.</summary>
    private sealed class Scratch : IDisposable
    {
        private const long PackedFloats = (long)MaxRowBlock * KBlock;
        private const long PanelFloats = (long)WeightTile * KBlock;
        private const long TileFloats = TransposedOffset + (long)RowTile * PaddedWeightTile;

        [ThreadStatic] private static Scratch? t_cached;
        private readonly float* _memory;

        private Scratch()
        {
            _memory = (float*)NativeMemory.AlignedAlloc((nuint)((PackedFloats + PanelFloats + TileFloats) * sizeof(float)), 64);
        }

        ~Scratch() => NativeMemory.AlignedFree(_memory);

        public float* PackedInputs => _memory;
        public float* WeightPanel => _memory + PackedFloats;
        public float* Tile => _memory + PackedFloats + PanelFloats;

        /// <summary>This thread's buffers; a nested or concurrent use on the same thread would get its own.</summary>
        public static Scratch Rent()
        {
            var scratch = t_cached ?? new Scratch();
            t_cached = null;
            return scratch;
        }

        public void Dispose() => t_cached = this;
    }
}
