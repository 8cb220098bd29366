using System.Buffers;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// y[m, n] = alpha · x[m, K] · wt[K, n] + beta · y for few rows (m ≤ <see cref="CpuMatMul.ThinLimit"/>) against a large
/// [K, n] operand: LoRA's dA = dHᵀ·X (m = r, K = tokens, wt = the layer input) and dBᵀ = Hᵀ·dY. One
/// <see cref="RowBroadcastGemm"/> call over all of K streams the whole large operand from memory once per row tile
/// (three tiles for r = 16 at 256 bits), and splitting the rows between threads makes every thread stream all of it.
/// Here threads split the columns, and K runs in chunks small enough that a chunk's slice of wt stays in L2 while
/// every row tile passes over it; the running sums wait between chunks in a small per-thread buffer. The sums are the
/// same chains of fused multiply-adds as one call over K (<see cref="RowBroadcastGemm.MultiplyChunk"/>), so the result is
/// bit-identical to it. wt must be readable up to <see cref="RowBroadcastGemm.PaddedColumns"/>(n) columns in every row.
/// </summary>
internal static unsafe class StreamedThinRows
{
    /// <summary>The wt slice one chunk reads: well inside a 512 KB L2 next to x's chunk and the sums.</summary>
    private const int ChunkBytes = 192 * 1024;

    private const int ColumnGrain = 64;

    public static void Run(float* x, long xStride, float* wt, long wtStride, float* y, long yStride, int m, int n, int k,
        float alpha, float beta, int threads)
    {
        long xs = (long)x, ws = (long)wt, ys = (long)y;
        StaticPartition.Run(n, ColumnGrain, threads, (double)m * n * k, (start, end) =>
            Columns((float*)xs, xStride, (float*)ws + start, wtStride, (float*)ys + start, yStride, m, end - start, k, alpha, beta));
    }

    private static void Columns(float* x, long xStride, float* wt, long wtStride, float* y, long yStride, int m, int n, int k,
        float alpha, float beta)
    {
        int padded = RowBroadcastGemm.PaddedColumns(n);
        int chunk = Math.Max(16, ChunkBytes / (padded * sizeof(float)));
        if (chunk >= k)
        {
            RowBroadcastGemm.Multiply(x, xStride, wt, wtStride, y, yStride, m, n, k, alpha, beta);
            return;
        }
        float[] sums = ArrayPool<float>.Shared.Rent(checked(m * padded));
        try
        {
            fixed (float* partial = sums)
                for (int k0 = 0; k0 < k; k0 += chunk)
                {
                    int kc = Math.Min(chunk, k - k0);
                    RowBroadcastGemm.MultiplyChunk(x + k0, xStride, wt + k0 * wtStride, wtStride, y, yStride, partial, padded,
                        m, n, kc, alpha, beta, first: k0 == 0, last: k0 + kc == k);
                }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(sums);
        }
    }
}
