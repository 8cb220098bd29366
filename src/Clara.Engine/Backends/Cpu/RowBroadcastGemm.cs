using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// y[i, j] = alpha · Σ_c x[i, c] · wt[c, j] + beta · y[i, j] (beta = 0 never reads y), single-threaded, for an
/// operand already laid out [K, N] (a transposed weight, or attention's values). Vectors run along j: a tile of
/// rows × two vectors of columns lives in accumulators; each step loads two vectors of wt and broadcasts one value of
/// x per row. 8 rows (16 accumulators) at 512 bits, where there are 32 vector registers; 6 rows (12) at 256 and
/// 128 bits, where there are 16 and a tile of 8 would spill. Every y[i, j] is the same chain of fused multiply-adds
/// over c at every width, so the results are bit-identical whichever width <see cref="SimdDispatch"/> picks.
/// wt must be readable up to <see cref="PaddedColumns"/>(n) columns in every row; only n columns are stored.
/// </summary>
internal static unsafe class RowBroadcastGemm
{
    /// <summary>The grain callers split rows by (a row range of any size is handled at every width).</summary>
    public const int RowTile = 8;

    /// <summary>The widest vector's lanes: columns are padded to it so every width reads whole vectors.</summary>
    private const int PaddedLanes = 16;

    public static int PaddedColumns(int n) => (n + PaddedLanes - 1) / PaddedLanes * PaddedLanes;

    public static void Multiply(float* x, long xStride, float* wt, long wtStride, float* y, long yStride,
        int m, int n, int k, float alpha, float beta) =>
        Multiply(x, xStride, wt, wtStride, y, yStride, m, n, k, alpha, beta, SimdDispatch.Widest);

    /// <summary>The same product at a given width (tests run every width; one wider than the hardware's is emulated).</summary>
    internal static void Multiply(float* x, long xStride, float* wt, long wtStride, float* y, long yStride,
        int m, int n, int k, float alpha, float beta, SimdWidth width) =>
        Run(new Operands(x, xStride, wt, wtStride, y, yStride, k, alpha, beta), m, n, width);

    /// <summary>
    /// One chunk of K of a longer product whose running sums live in <paramref name="partial"/> ([m, PaddedColumns(n)] at
    /// <paramref name="partialStride"/>): the first chunk starts them from zero, later ones from the stored sums; every
    /// chunk but the last stores them raw, the last applies alpha and beta into y. Each sum is therefore the same chain
    /// of fused multiply-adds over c as one call over all of K, so splitting K changes no bit.
    /// </summary>
    public static void MultiplyChunk(float* x, long xStride, float* wt, long wtStride, float* y, long yStride, float* partial, long partialStride,
        int m, int n, int k, float alpha, float beta, bool first, bool last) =>
        Run(new Operands(x, xStride, wt, wtStride, y, yStride, k, alpha, beta, partial, partialStride, !first, !last), m, n, SimdDispatch.Widest);

    private static void Run(in Operands o, int m, int n, SimdWidth width)
    {
        switch (width)
        {
            case SimdWidth.Bits512: Multiply<Simd512, Vector512<float>, EightRows>(o, m, n); break;
            case SimdWidth.Bits256: Multiply<Simd256, Vector256<float>, SixRows>(o, m, n); break;
            default: Multiply<Simd128, Vector128<float>, SixRows>(o, m, n); break;
        }
    }

    private static void Multiply<TSimd, TVec, TRows>(in Operands o, int m, int n)
        where TSimd : ISimd<TVec> where TVec : struct where TRows : IRowCount
    {
        int lanes = TSimd.Lanes;
        for (int i = 0; i < m; i += TRows.Count)
        {
            int rows = Math.Min(TRows.Count, m - i);
            // Rows past the end repeat the last real row: the tile stays branch-free and those results are dropped.
            var r = new Rows(o.X, o.XStride, i, m);
            float* y = o.Y + i * o.YStride, partial = o.Partial + i * o.PartialStride;
            int j = 0;
            for (; j + 2 * lanes <= n; j += 2 * lanes) TwoVectors<TSimd, TVec, TRows>(o, r, j, y + j, partial + j, rows);
            for (; j < n; j += lanes) OneVector<TSimd, TVec, TRows>(o, r, j, y + j, partial + j, rows, Math.Min(lanes, n - j));
        }
    }

    /// <summary>Everything of one product but its shape's loops.</summary>
    private readonly struct Operands(float* x, long xStride, float* wt, long wtStride, float* y, long yStride, int k, float alpha, float beta,
        float* partial = null, long partialStride = 0, bool loadPartial = false, bool storePartial = false)
    {
        public readonly float* X = x, Wt = wt, Y = y, Partial = partial;
        public readonly long XStride = xStride, WtStride = wtStride, YStride = yStride, PartialStride = partialStride;
        public readonly int K = k;
        public readonly float Alpha = alpha, Beta = beta;

        /// <summary>Start the sums from <see cref="Partial"/> (a later chunk of K) instead of zero.</summary>
        public readonly bool LoadPartial = loadPartial;

        /// <summary>Store the raw sums to <see cref="Partial"/> (a chunk before the last) instead of alpha·sum + beta·y to y.</summary>
        public readonly bool StorePartial = storePartial;
    }

    /// <summary>How many input rows one tile holds: a constant to the JIT, so the unused rows' code is dropped.</summary>
    private interface IRowCount
    {
        static abstract int Count { get; }
    }

    private readonly struct EightRows : IRowCount
    {
        public static int Count => 8;
    }

    private readonly struct SixRows : IRowCount
    {
        public static int Count => 6;
    }

    /// <summary>The (up to) eight input rows of one tile.</summary>
    private readonly struct Rows
    {
        public readonly float* R0, R1, R2, R3, R4, R5, R6, R7;

        public Rows(float* x, long stride, int first, int count)
        {
            float* Row(int i) => x + Math.Min(first + i, count - 1) * stride;
            R0 = Row(0); R1 = Row(1); R2 = Row(2); R3 = Row(3); R4 = Row(4); R5 = Row(5); R6 = Row(6); R7 = Row(7);
        }
    }

    private static void TwoVectors<TSimd, TVec, TRows>(in Operands o, in Rows x, int column, float* y, float* partial, int rows)
        where TSimd : ISimd<TVec> where TVec : struct where TRows : IRowCount
    {
        TVec a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        TVec b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        long ps = o.PartialStride;
        int lanes = TSimd.Lanes;
        if (o.LoadPartial)
        {
            // Rows past the tile's real ones start from zero: their sums are dropped.
            a0 = TSimd.Load(partial); b0 = TSimd.Load(partial + lanes);
            if (rows > 1) { a1 = TSimd.Load(partial + ps); b1 = TSimd.Load(partial + ps + lanes); }
            if (rows > 2) { a2 = TSimd.Load(partial + 2 * ps); b2 = TSimd.Load(partial + 2 * ps + lanes); }
            if (rows > 3) { a3 = TSimd.Load(partial + 3 * ps); b3 = TSimd.Load(partial + 3 * ps + lanes); }
            if (rows > 4) { a4 = TSimd.Load(partial + 4 * ps); b4 = TSimd.Load(partial + 4 * ps + lanes); }
            if (rows > 5) { a5 = TSimd.Load(partial + 5 * ps); b5 = TSimd.Load(partial + 5 * ps + lanes); }
            if (TRows.Count > 6 && rows > 6) { a6 = TSimd.Load(partial + 6 * ps); b6 = TSimd.Load(partial + 6 * ps + lanes); }
            if (TRows.Count > 6 && rows > 7) { a7 = TSimd.Load(partial + 7 * ps); b7 = TSimd.Load(partial + 7 * ps + lanes); }
        }
        float* x0 = x.R0, x1 = x.R1, x2 = x.R2, x3 = x.R3, x4 = x.R4, x5 = x.R5, x6 = x.R6, x7 = x.R7;
        float* w = o.Wt + column;
        int k = o.K;
        long wtStride = o.WtStride;
        for (int c = 0; c < k; c++, w += wtStride)
        {
            var u = TSimd.Load(w);
            var v = TSimd.Load(w + lanes);
            TVec s;
            s = TSimd.Broadcast(x0[c]); a0 = TSimd.FusedMultiplyAdd(u, s, a0); b0 = TSimd.FusedMultiplyAdd(v, s, b0);
            s = TSimd.Broadcast(x1[c]); a1 = TSimd.FusedMultiplyAdd(u, s, a1); b1 = TSimd.FusedMultiplyAdd(v, s, b1);
            s = TSimd.Broadcast(x2[c]); a2 = TSimd.FusedMultiplyAdd(u, s, a2); b2 = TSimd.FusedMultiplyAdd(v, s, b2);
            s = TSimd.Broadcast(x3[c]); a3 = TSimd.FusedMultiplyAdd(u, s, a3); b3 = TSimd.FusedMultiplyAdd(v, s, b3);
            s = TSimd.Broadcast(x4[c]); a4 = TSimd.FusedMultiplyAdd(u, s, a4); b4 = TSimd.FusedMultiplyAdd(v, s, b4);
            s = TSimd.Broadcast(x5[c]); a5 = TSimd.FusedMultiplyAdd(u, s, a5); b5 = TSimd.FusedMultiplyAdd(v, s, b5);
            if (TRows.Count > 6)
            {
                s = TSimd.Broadcast(x6[c]); a6 = TSimd.FusedMultiplyAdd(u, s, a6); b6 = TSimd.FusedMultiplyAdd(v, s, b6);
                s = TSimd.Broadcast(x7[c]); a7 = TSimd.FusedMultiplyAdd(u, s, a7); b7 = TSimd.FusedMultiplyAdd(v, s, b7);
            }
        }
        if (o.StorePartial)
        {
            TSimd.Store(a0, partial); TSimd.Store(b0, partial + lanes);
            if (rows > 1) { TSimd.Store(a1, partial + ps); TSimd.Store(b1, partial + ps + lanes); }
            if (rows > 2) { TSimd.Store(a2, partial + 2 * ps); TSimd.Store(b2, partial + 2 * ps + lanes); }
            if (rows > 3) { TSimd.Store(a3, partial + 3 * ps); TSimd.Store(b3, partial + 3 * ps + lanes); }
            if (rows > 4) { TSimd.Store(a4, partial + 4 * ps); TSimd.Store(b4, partial + 4 * ps + lanes); }
            if (rows > 5) { TSimd.Store(a5, partial + 5 * ps); TSimd.Store(b5, partial + 5 * ps + lanes); }
            if (TRows.Count > 6 && rows > 6) { TSimd.Store(a6, partial + 6 * ps); TSimd.Store(b6, partial + 6 * ps + lanes); }
            if (TRows.Count > 6 && rows > 7) { TSimd.Store(a7, partial + 7 * ps); TSimd.Store(b7, partial + 7 * ps + lanes); }
            return;
        }
        long ys = o.YStride;
        Store<TSimd, TVec>(o, y, a0, b0);
        if (rows > 1) Store<TSimd, TVec>(o, y + ys, a1, b1);
        if (rows > 2) Store<TSimd, TVec>(o, y + 2 * ys, a2, b2);
        if (rows > 3) Store<TSimd, TVec>(o, y + 3 * ys, a3, b3);
        if (rows > 4) Store<TSimd, TVec>(o, y + 4 * ys, a4, b4);
        if (rows > 5) Store<TSimd, TVec>(o, y + 5 * ys, a5, b5);
        if (TRows.Count > 6 && rows > 6) Store<TSimd, TVec>(o, y + 6 * ys, a6, b6);
        if (TRows.Count > 6 && rows > 7) Store<TSimd, TVec>(o, y + 7 * ys, a7, b7);
    }

    private static void OneVector<TSimd, TVec, TRows>(in Operands o, in Rows x, int column, float* y, float* partial, int rows, int columns)
        where TSimd : ISimd<TVec> where TVec : struct where TRows : IRowCount
    {
        TVec a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        long ps = o.PartialStride;
        // The partial sums are padded to whole vectors, so a short last vector is loaded and stored whole there.
        if (o.LoadPartial)
        {
            a0 = TSimd.Load(partial);
            if (rows > 1) a1 = TSimd.Load(partial + ps);
            if (rows > 2) a2 = TSimd.Load(partial + 2 * ps);
            if (rows > 3) a3 = TSimd.Load(partial + 3 * ps);
            if (rows > 4) a4 = TSimd.Load(partial + 4 * ps);
            if (rows > 5) a5 = TSimd.Load(partial + 5 * ps);
            if (TRows.Count > 6 && rows > 6) a6 = TSimd.Load(partial + 6 * ps);
            if (TRows.Count > 6 && rows > 7) a7 = TSimd.Load(partial + 7 * ps);
        }
        float* x0 = x.R0, x1 = x.R1, x2 = x.R2, x3 = x.R3, x4 = x.R4, x5 = x.R5, x6 = x.R6, x7 = x.R7;
        float* w = o.Wt + column;
        int k = o.K;
        long wtStride = o.WtStride;
        for (int c = 0; c < k; c++, w += wtStride)
        {
            var u = TSimd.Load(w);
            a0 = TSimd.FusedMultiplyAdd(u, TSimd.Broadcast(x0[c]), a0);
            a1 = TSimd.FusedMultiplyAdd(u, TSimd.Broadcast(x1[c]), a1);
            a2 = TSimd.FusedMultiplyAdd(u, TSimd.Broadcast(x2[c]), a2);
            a3 = TSimd.FusedMultiplyAdd(u, TSimd.Broadcast(x3[c]), a3);
            a4 = TSimd.FusedMultiplyAdd(u, TSimd.Broadcast(x4[c]), a4);
            a5 = TSimd.FusedMultiplyAdd(u, TSimd.Broadcast(x5[c]), a5);
            if (TRows.Count > 6)
            {
                a6 = TSimd.FusedMultiplyAdd(u, TSimd.Broadcast(x6[c]), a6);
                a7 = TSimd.FusedMultiplyAdd(u, TSimd.Broadcast(x7[c]), a7);
            }
        }
        if (o.StorePartial)
        {
            TSimd.Store(a0, partial);
            if (rows > 1) TSimd.Store(a1, partial + ps);
            if (rows > 2) TSimd.Store(a2, partial + 2 * ps);
            if (rows > 3) TSimd.Store(a3, partial + 3 * ps);
            if (rows > 4) TSimd.Store(a4, partial + 4 * ps);
            if (rows > 5) TSimd.Store(a5, partial + 5 * ps);
            if (TRows.Count > 6 && rows > 6) TSimd.Store(a6, partial + 6 * ps);
            if (TRows.Count > 6 && rows > 7) TSimd.Store(a7, partial + 7 * ps);
            return;
        }
        long ys = o.YStride;
        Store<TSimd, TVec>(o, y, a0, columns);
        if (rows > 1) Store<TSimd, TVec>(o, y + ys, a1, columns);
        if (rows > 2) Store<TSimd, TVec>(o, y + 2 * ys, a2, columns);
        if (rows > 3) Store<TSimd, TVec>(o, y + 3 * ys, a3, columns);
        if (rows > 4) Store<TSimd, TVec>(o, y + 4 * ys, a4, columns);
        if (rows > 5) Store<TSimd, TVec>(o, y + 5 * ys, a5, columns);
        if (TRows.Count > 6 && rows > 6) Store<TSimd, TVec>(o, y + 6 * ys, a6, columns);
        if (TRows.Count > 6 && rows > 7) Store<TSimd, TVec>(o, y + 7 * ys, a7, columns);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TSimd, TVec>(in Operands o, float* y, TVec low, TVec high) where TSimd : ISimd<TVec> where TVec : struct
    {
        Store<TSimd, TVec>(o, y, low, TSimd.Lanes);
        Store<TSimd, TVec>(o, y + TSimd.Lanes, high, TSimd.Lanes);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TSimd, TVec>(in Operands o, float* y, TVec sum, int columns) where TSimd : ISimd<TVec> where TVec : struct
    {
        float beta = o.Beta;
        if (columns == TSimd.Lanes)
        {
            var value = TSimd.Multiply(sum, o.Alpha);
            if (beta != 0f) value = TSimd.FusedMultiplyAdd(TSimd.Load(y), TSimd.Broadcast(beta), value);
            TSimd.Store(value, y);
            return;
        }
        // A partial vector goes through the stack so nothing past the row's last column is read or written.
        float* lanes = stackalloc float[PaddedLanes];
        TSimd.Store(TSimd.Multiply(sum, o.Alpha), lanes);
        for (int j = 0; j < columns; j++) y[j] = beta == 0f ? lanes[j] : lanes[j] + beta * y[j];
    }
}
