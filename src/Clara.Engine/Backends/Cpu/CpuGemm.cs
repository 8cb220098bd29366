using System.Buffers;
using Clara.Engine.Backends.Ops;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// CPU twin of <see cref="IKernels.Gemm"/>. The fast kernels of <see cref="CpuMatMul"/> all compute x[M, K] · W[N, K]ᵀ, so
/// an operand in the other orientation is first transposed (and widened to fp32) into a pooled buffer: that costs
/// one pass over the operand, against M·N·K multiply-adds for the product itself. The backward products of a linear
/// layer (dX = dY·W, dW = dYᵀ·X) then run on the same cache-blocked kernels as the forward.
/// </summary>
internal static unsafe class CpuGemm
{
    public static void Run(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor output, float alpha, float beta, int threads)
    {
        var shape = GemmRules.Check(a, transposeA, b, transposeB, output);
        if (shape.M == 0 || shape.N == 0) return;
        var y = CpuTensor.Span<float>(output);
        if (shape.K == 0)
        {
            // An empty sum: only the beta term is left (beta = 0 never reads y, as everywhere else).
            if (beta == 0f) y.Clear();
            else System.Numerics.Tensors.TensorPrimitives.Multiply(y, beta, y);
            return;
        }

        if (SwappedThin.Applies(shape, a, transposeA, b, transposeB))
        {
            SwappedThin.Run(a, b, shape, y, alpha, beta, threads);
            return;
        }
        if (DirectRows.Applies(shape, b, transposeB))
        {
            DirectRows.Run(a, transposeA, b, shape, y, alpha, beta, threads);
            return;
        }

        float[]? xRented = null, wRented = null;
        try
        {
            byte* x = CpuMatMul.Pointer(a);
            if (transposeA)
            {
                xRented = ArrayPool<float>.Shared.Rent(checked(shape.M * shape.K));
                fixed (float* xt = xRented) Transposer.Run(x, DType.F32, shape.K, shape.M, xt, threads);
            }
            byte* w = CpuMatMul.Pointer(b);
            var wType = b.DType;
            // b as stored is [K, N]: the blocked kernel reads it that way directly (dX = dY·W never copies W).
            bool weightKN = !transposeB && BroadcastGemm.TakesWeightKN(shape.M, shape.N, shape.K);
            if (!transposeB && !weightKN)
            {
                wRented = ArrayPool<float>.Shared.Rent(checked(shape.N * shape.K));
                fixed (float* wt = wRented) Transposer.Run(w, b.DType, shape.K, shape.N, wt, threads);
                wType = DType.F32;
            }
            fixed (float* xt = xRented, wt = wRented)
            {
                float* xs = transposeA ? xt : (float*)x;
                byte* ws = transposeB || weightKN ? w : (byte*)wt;
                fixed (float* ys = y)
                    CpuMatMul.Multiply(new Product(xs, ws, wType, ys, shape.M, shape.N, shape.K, alpha, beta, weightKN), threads);
            }
        }
        finally
        {
            if (xRented is not null) ArrayPool<float>.Shared.Return(xRented);
            if (wRented is not null) ArrayPool<float>.Shared.Return(wRented);
        }
    }

    /// <summary>
    /// b already [K, N] in fp32 is the layout <see cref="RowBroadcastGemm"/> reads, so a product with few output rows
    /// (LoRA's dA = dHᵀ·X, with r rows) or few output columns (dH = dY·B, or dB = dYᵀ·H, with r columns) runs on it
    /// directly: no transpose of the large operand, and a only transposed when it is small or must be anyway. Its
    /// tiles read whole vectors, so N must be a multiple of 16 (the last row of b is never read past its end).
    /// </summary>
    private static class DirectRows
    {
        private const int Lanes = 16;

        public static bool Applies(GemmShape shape, Tensor b, bool transposeB) =>
            !transposeB && b.DType == DType.F32 && shape.N % Lanes == 0
            && (shape.M <= CpuMatMul.GemvMaxRows || shape.N <= CpuMatMul.ThinLimit);

        public static void Run(Tensor a, bool transposeA, Tensor b, GemmShape shape, Span<float> y, float alpha, float beta, int threads)
        {
            float[]? rented = null;
            try
            {
                long x = (long)CpuMatMul.Pointer(a), w = (long)CpuMatMul.Pointer(b);
                if (transposeA)
                {
                    rented = ArrayPool<float>.Shared.Rent(checked(shape.M * shape.K));
                    fixed (float* xt = rented) Transposer.Run((byte*)x, DType.F32, shape.K, shape.M, xt, threads);
                }
                fixed (float* xt = rented)
                fixed (float* ys = y)
                {
                    long xs = transposeA ? (long)xt : x, yp = (long)ys;
                    var (m, n, k) = shape;
                    double work = (double)m * n * k;
                    // Many rows: threads split the rows (b is the thin one); few rows: threads split the columns of the
                    // large b and walk it in K chunks that stay in cache (LoRA's dA = dHᵀ·X).
                    if (m > CpuMatMul.ThinLimit && m >= 8 * threads)
                        StaticPartition.Run(m, RowBroadcastGemm.RowTile, threads, work, (start, end) =>
                            RowBroadcastGemm.Multiply((float*)xs + (long)start * k, k, (float*)w, n, (float*)yp + (long)start * n, n,
                                end - start, n, k, alpha, beta));
                    else
                        StreamedThinRows.Run((float*)xs, k, (float*)w, n, (float*)yp, n, m, n, k, alpha, beta, threads);
                }
            }
            finally
            {
                if (rented is not null) ArrayPool<float>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// αᵀ·b with a large a [K, M] and a thin b [K, N] (LoRA's dB = s·dYᵀ·H: M = out, N = r, K = tokens) is computed
    /// transposed, yᵀ = α·bᵀ·a, on <see cref="RowBroadcastGemm"/>: then only the thin b is transposed (K × N values)
    /// and a is streamed once as stored, instead of transposing all M × K values of a first. yᵀ (N × M, small) goes
    /// to a pooled buffer and is added into y: y = yᵀᵀ + β·y. Every sum is the one <see cref="DirectRows"/> forms
    /// (the same products in the same order), so the result is bit-identical; M must be a multiple of 16 because
    /// the tiles read a's rows in whole vectors.
    /// </summary>
    private static class SwappedThin
    {
        public static bool Applies(GemmShape shape, Tensor a, bool transposeA, Tensor b, bool transposeB) =>
            transposeA && !transposeB && a.DType == DType.F32 && b.DType == DType.F32
            && shape.N <= CpuMatMul.ThinLimit && shape.M > CpuMatMul.GemvMaxRows && shape.M % 16 == 0;

        public static void Run(Tensor a, Tensor b, GemmShape shape, Span<float> y, float alpha, float beta, int threads)
        {
            var (m, n, k) = shape;
            float[] bt = ArrayPool<float>.Shared.Rent(checked(n * k));
            float[] yt = ArrayPool<float>.Shared.Rent(checked(n * m));
            try
            {
                long x = (long)CpuMatMul.Pointer(b), w = (long)CpuMatMul.Pointer(a);
                fixed (float* bts = bt, yts = yt)
                {
                    Transposer.Run((byte*)x, DType.F32, k, n, bts, threads);
                    // N ≤ 64 rows of yᵀ against the large a: threads split its columns and walk K in cached chunks.
                    StreamedThinRows.Run(bts, k, (float*)w, m, yts, m, n, m, k, alpha, 0f, threads);
                    fixed (float* ys = y)
                        for (int i = 0; i < m; i++)
                        {
                            float* row = ys + (long)i * n;
                            if (beta == 0f)
                                for (int j = 0; j < n; j++) row[j] = yts[(long)j * m + i];
                            else
                                for (int j = 0; j < n; j++) row[j] = MathF.FusedMultiplyAdd(row[j], beta, yts[(long)j * m + i]);
                        }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(bt);
                ArrayPool<float>.Shared.Return(yt);
            }
        }
    }

    /// <summary>
    /// destination[c, r] = fp32(source[r, c]) for a row-major [rows, columns] source, in square tiles so both sides
    /// stay in cache; threads split the source columns (the destination rows).
    /// </summary>
    private static class Transposer
    {
        private const int Tile = 32;

        public static void Run(byte* source, DType type, int rows, int columns, float* destination, int threads)
        {
            long src = (long)source, dst = (long)destination;
            StaticPartition.Run(columns, Tile, threads, 4.0 * rows * columns, (start, end) =>
            {
                for (int c0 = start; c0 < end; c0 += Tile)
                for (int r0 = 0; r0 < rows; r0 += Tile)
                    Block((byte*)src, type, rows, columns, (float*)dst, r0, Math.Min(rows, r0 + Tile), c0, Math.Min(end, c0 + Tile));
            });
        }

        private static void Block(byte* source, DType type, int rows, int columns, float* destination, int r0, int r1, int c0, int c1)
        {
            switch (type)
            {
                case DType.F32:
                    FloatTranspose.Run((float*)source + (long)r0 * columns + c0, columns, r1 - r0, c1 - c0, destination + (long)c0 * rows + r0, rows);
                    break;
                case DType.BF16:
                    for (int r = r0; r < r1; r++)
                    {
                        ushort* row = (ushort*)source + (long)r * columns;
                        for (int c = c0; c < c1; c++) destination[(long)c * rows + r] = FloatBits.BF16ToFloat(row[c]);
                    }
                    break;
                default:
                    for (int r = r0; r < r1; r++)
                    {
                        Half* row = (Half*)source + (long)r * columns;
                        for (int c = c0; c < c1; c++) destination[(long)c * rows + r] = (float)row[c];
                    }
                    break;
            }
        }
    }
}
