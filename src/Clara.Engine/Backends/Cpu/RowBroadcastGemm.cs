using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// y[i, j] = alpha · Σ_c x[i, c] · wt[c, j] + beta · y[i, j] (beta = 0 never reads y), single-threaded, for an
/// operand already laid out [K, N] (a transposed weight, or attention's values). Vectors run along j: a tile of
/// 8 rows × 32 columns lives in 16 accumulators; each step loads two vectors of wt and broadcasts 8 values of x.
/// wt must be readable up to <see cref="PaddedColumns"/>(n) columns in every row; only n columns are stored.
/// </summary>
internal static unsafe class RowBroadcastGemm
{
    public const int RowTile = 8;
    private const int Lanes = 16;

    public static int PaddedColumns(int n) => (n + Lanes - 1) / Lanes * Lanes;

    public static void Multiply(float* x, long xStride, float* wt, long wtStride, float* y, long yStride,
        int m, int n, int k, float alpha, float beta)
    {
        for (int i = 0; i < m; i += RowTile)
        {
            int rows = Math.Min(RowTile, m - i);
            // Rows past the end repeat the last real row: the tile stays branch-free and those results are dropped.
            var r = new Rows(x, xStride, i, m);
            int j = 0;
            for (; j + 2 * Lanes <= n; j += 2 * Lanes) Tile32(r, wt + j, wtStride, k, y + i * yStride + j, yStride, rows, alpha, beta);
            for (; j < n; j += Lanes) Tile16(r, wt + j, wtStride, k, y + i * yStride + j, yStride, rows, Math.Min(Lanes, n - j), alpha, beta);
        }
    }

    /// <summary>The eight input rows of one tile.</summary>
    private readonly struct Rows
    {
        public readonly float* R0, R1, R2, R3, R4, R5, R6, R7;

        public Rows(float* x, long stride, int first, int count)
        {
            float* Row(int i) => x + Math.Min(first + i, count - 1) * stride;
            R0 = Row(0); R1 = Row(1); R2 = Row(2); R3 = Row(3); R4 = Row(4); R5 = Row(5); R6 = Row(6); R7 = Row(7);
        }
    }

    private static void Tile32(in Rows x, float* wt, long wtStride, int k, float* y, long yStride, int rows, float alpha, float beta)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        float* x0 = x.R0, x1 = x.R1, x2 = x.R2, x3 = x.R3, x4 = x.R4, x5 = x.R5, x6 = x.R6, x7 = x.R7;
        float* w = wt;
        for (int c = 0; c < k; c++, w += wtStride)
        {
            var u = Vector512.Load(w);
            var v = Vector512.Load(w + Lanes);
            Vector512<float> s;
            s = Vector512.Create(x0[c]); a0 = Vector512.FusedMultiplyAdd(u, s, a0); b0 = Vector512.FusedMultiplyAdd(v, s, b0);
            s = Vector512.Create(x1[c]); a1 = Vector512.FusedMultiplyAdd(u, s, a1); b1 = Vector512.FusedMultiplyAdd(v, s, b1);
            s = Vector512.Create(x2[c]); a2 = Vector512.FusedMultiplyAdd(u, s, a2); b2 = Vector512.FusedMultiplyAdd(v, s, b2);
            s = Vector512.Create(x3[c]); a3 = Vector512.FusedMultiplyAdd(u, s, a3); b3 = Vector512.FusedMultiplyAdd(v, s, b3);
            s = Vector512.Create(x4[c]); a4 = Vector512.FusedMultiplyAdd(u, s, a4); b4 = Vector512.FusedMultiplyAdd(v, s, b4);
            s = Vector512.Create(x5[c]); a5 = Vector512.FusedMultiplyAdd(u, s, a5); b5 = Vector512.FusedMultiplyAdd(v, s, b5);
            s = Vector512.Create(x6[c]); a6 = Vector512.FusedMultiplyAdd(u, s, a6); b6 = Vector512.FusedMultiplyAdd(v, s, b6);
            s = Vector512.Create(x7[c]); a7 = Vector512.FusedMultiplyAdd(u, s, a7); b7 = Vector512.FusedMultiplyAdd(v, s, b7);
        }
        Store(y, a0, b0, alpha, beta);
        if (rows > 1) Store(y + yStride, a1, b1, alpha, beta);
        if (rows > 2) Store(y + 2 * yStride, a2, b2, alpha, beta);
        if (rows > 3) Store(y + 3 * yStride, a3, b3, alpha, beta);
        if (rows > 4) Store(y + 4 * yStride, a4, b4, alpha, beta);
        if (rows > 5) Store(y + 5 * yStride, a5, b5, alpha, beta);
        if (rows > 6) Store(y + 6 * yStride, a6, b6, alpha, beta);
        if (rows > 7) Store(y + 7 * yStride, a7, b7, alpha, beta);
    }

    private static void Tile16(in Rows x, float* wt, long wtStride, int k, float* y, long yStride, int rows, int columns, float alpha, float beta)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        float* x0 = x.R0, x1 = x.R1, x2 = x.R2, x3 = x.R3, x4 = x.R4, x5 = x.R5, x6 = x.R6, x7 = x.R7;
        float* w = wt;
        for (int c = 0; c < k; c++, w += wtStride)
        {
            var u = Vector512.Load(w);
            a0 = Vector512.FusedMultiplyAdd(u, Vector512.Create(x0[c]), a0);
            a1 = Vector512.FusedMultiplyAdd(u, Vector512.Create(x1[c]), a1);
            a2 = Vector512.FusedMultiplyAdd(u, Vector512.Create(x2[c]), a2);
            a3 = Vector512.FusedMultiplyAdd(u, Vector512.Create(x3[c]), a3);
            a4 = Vector512.FusedMultiplyAdd(u, Vector512.Create(x4[c]), a4);
            a5 = Vector512.FusedMultiplyAdd(u, Vector512.Create(x5[c]), a5);
            a6 = Vector512.FusedMultiplyAdd(u, Vector512.Create(x6[c]), a6);
            a7 = Vector512.FusedMultiplyAdd(u, Vector512.Create(x7[c]), a7);
        }
        Store(y, a0, columns, alpha, beta);
        if (rows > 1) Store(y + yStride, a1, columns, alpha, beta);
        if (rows > 2) Store(y + 2 * yStride, a2, columns, alpha, beta);
        if (rows > 3) Store(y + 3 * yStride, a3, columns, alpha, beta);
        if (rows > 4) Store(y + 4 * yStride, a4, columns, alpha, beta);
        if (rows > 5) Store(y + 5 * yStride, a5, columns, alpha, beta);
        if (rows > 6) Store(y + 6 * yStride, a6, columns, alpha, beta);
        if (rows > 7) Store(y + 7 * yStride, a7, columns, alpha, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* y, Vector512<float> low, Vector512<float> high, float alpha, float beta)
    {
        Store(y, low, Lanes, alpha, beta);
        Store(y + Lanes, high, Lanes, alpha, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* y, Vector512<float> sum, int columns, float alpha, float beta)
    {
        if (columns == Lanes)
        {
            var value = sum * alpha;
            if (beta != 0f) value = Vector512.FusedMultiplyAdd(Vector512.Load(y), Vector512.Create(beta), value);
            value.Store(y);
            return;
        }
        // A partial vector goes through the stack so nothing past the row's last column is read or written.
        float* lanes = stackalloc float[Lanes];
        (sum * alpha).Store(lanes);
        for (int j = 0; j < columns; j++) y[j] = beta == 0f ? lanes[j] : lanes[j] + beta * y[j];
    }
}
