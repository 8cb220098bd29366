using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// A thin weight (N or K small, as LoRA's A [r, in] and B [out, r] are): its rows are transposed into a per-thread
/// [K, columns] buffer and <see cref="RowBroadcastGemm"/> runs the input rows against it. No input packing, and y
/// is written with whole-vector stores. Many input rows (compression): threads split the rows and each transposes
/// the whole (small) weight, so every output row is written in one sequential pass. Few rows (decoding): threads
/// split the output columns, in chunks of <see cref="ChunkColumns"/>, and each transposes only its own chunks.
/// </summary>
internal static unsafe class ThinGemm
{
    private const int ChunkColumns = 64;
    private const int RowsPerThreadForRowSplit = 64;

    public static void Run(Product p, int threads)
    {
        var product = p;
        int chunks = (p.N + ChunkColumns - 1) / ChunkColumns;
        double work = (double)p.M * p.N * p.K;
        if (p.M >= RowsPerThreadForRowSplit * threads || chunks < 2 * threads)
            StaticPartition.Run(p.M, RowBroadcastGemm.RowTile, threads, work, (start, end) => RunBlock(product, start, end, 0, product.N, product.N));
        else
            StaticPartition.Run(p.N, ChunkColumns, threads, work, (start, end) => RunBlock(product, 0, product.M, start, end, ChunkColumns));
    }

    private static void RunBlock(in Product p, int m0, int m1, int n0, int n1, int chunkColumns)
    {
        var scratch = Scratch((long)p.K * RowBroadcastGemm.PaddedColumns(chunkColumns));
        fixed (float* wt = scratch)
            for (int c0 = n0; c0 < n1; c0 += chunkColumns)
            {
                int width = Math.Min(chunkColumns, n1 - c0), padded = RowBroadcastGemm.PaddedColumns(width);
                Transpose(p, c0, width, padded, wt);
                RowBroadcastGemm.Multiply(p.X + (long)m0 * p.K, p.K, wt, padded, p.Y + (long)m0 * p.N + c0, p.N,
                    m1 - m0, width, p.K, p.Alpha, p.Beta);
            }
    }

    /// <summary>wt[c, j] = W[first + j, c] for j &lt; width; columns width … padded are zero.</summary>
    private static void Transpose(in Product p, int first, int width, int padded, float* wt)
    {
        long k = p.K;
        switch (p.WeightType)
        {
            case DType.F32:
                FloatTranspose.Run((float*)p.W + first * k, k, width, (int)k, wt, padded);
                break;
            case DType.BF16:
                for (int j = 0; j < width; j++)
                {
                    ushort* row = (ushort*)p.W + (first + j) * k;
                    for (int c = 0; c < k; c++) wt[c * padded + j] = FloatBits.BF16ToFloat(row[c]);
                }
                break;
            case DType.Q8_0:
                {
                    // One dequantised row at a time (rare: a Q8_0 weight thin enough for this kernel).
                    float[] buffer = new float[k];
                    fixed (float* r = buffer)
                        for (int j = 0; j < width; j++)
                        {
                            p.ReadWeights(first + j, 0, (int)k, r);
                            for (int c = 0; c < k; c++) wt[c * padded + j] = r[c];
                        }
                }
                break;
            default:
                for (int j = 0; j < width; j++)
                {
                    Half* row = (Half*)p.W + (first + j) * k;
                    for (int c = 0; c < k; c++) wt[c * padded + j] = (float)row[c];
                }
                break;
        }
        for (int c = 0; c < k; c++)
            for (int j = width; j < padded; j++) wt[c * padded + j] = 0f;
    }

    [ThreadStatic] private static float[]? t_scratch;

    /// <summary>This thread's transpose buffer, grown to <paramref name="floats"/> when needed.</summary>
    private static float[] Scratch(long floats)
    {
        if (floats > Array.MaxLength) throw new NotSupportedException($"a thin matmul needs {floats} floats of scratch");
        if (t_scratch is null || t_scratch.Length < floats) t_scratch = new float[floats];
        return t_scratch;
    }
}
