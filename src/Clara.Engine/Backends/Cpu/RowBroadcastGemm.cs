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
        int m, int n, int k, float alpha, float beta, SimdWidth width)
    {
        var o = new Operands(x, xStride, wt, wtStride, y, yStride, k, alpha, beta);
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
            float* y = o.Y + i * o.YStride;
            int j = 0;
            for (; j + 2 * lanes <= n; j += 2 * lanes) TwoVectors<TSimd, TVec, TRows>(o, r, j, y + j, rows);
            for (; j < n; j += lanes) OneVector<TSimd, TVec, TRows>(o, r, j, y + j, rows, Math.Min(lanes, n - j));
        }
    }

    /// <summary>Everything of one product but its shape's loops.</summary>
    private readonly struct Operands(float* x, long xStride, float* wt, long wtStride, float* y, long yStride, int k, float alpha, float beta)
    {
        public readonly float* X = x, Wt = wt, Y = y;
        public readonly long XStride = xStride, WtStride = wtStride, YStride = yStride;
        public readonly int K = k;
        public readonly float Alpha = alpha, Beta = beta;
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

    private static void TwoVectors<TSimd, TVec, TRows>(in Operands o, in Rows x, int column, float* y, int rows)
        where TSimd : ISimd<TVec> where TVec : struct where TRows : IRowCount
    {
        TVec a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        TVec b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        float* x0 = x.R0, x1 = x.R1, x2 = x.R2, x3 = x.R3, x4 = x.R4, x5 = x.R5, x6 = x.R6, x7 = x.R7;
        float* w = o.Wt + column;
        int k = o.K, lanes = TSimd.Lanes;
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

    private static void OneVector<TSimd, TVec, TRows>(in Operands o, in Rows x, int column, float* y, int rows, int columns)
        where TSimd : ISimd<TVec> where TVec : struct where TRows : IRowCount
    {
        TVec a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
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
