using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// CPU twin of the cuBLAS products: y[m, n] = alpha · Σ_k x[m, k] · W[n, k] + beta · y[m, n], fp32 accumulation.
/// W keeps the HF [out, in] layout so each output is a dot product of two contiguous rows. Work is split over
/// blocks of W rows; each block is widened to fp32 once and reused by every input row (the weight read is
/// what bounds decode).
/// </summary>
internal static class CpuMatMul
{
    private const int RowsPerBlock = 16;

    public static void Forward(Tensor input, Tensor weight, Tensor output, float alpha, float beta, int threads)
    {
        CpuTensor.Require(input, DType.F32, "matmul input");
        CpuTensor.Require(output, DType.F32, "matmul output");
        WeightRows.Require(weight, "matmul weight");
        if (weight.Shape.Rank != 2)
            throw new ArgumentException($"matmul weight must be [out, in], got {weight.Shape}");
        int n = weight.Shape[0], k = weight.Shape[1];
        if (input.Shape[-1] != k)
            throw new ArgumentException($"matmul input {input.Shape} has {input.Shape[-1]} columns, weight {weight.Shape} expects {k}");
        long m = input.Shape.Rows;
        if (output.Shape[-1] != n || output.Shape.Rows != m)
            throw new ArgumentException($"matmul output {output.Shape} should be [{m}, {n}]");
        if (m == 0 || n == 0) return;

        int blocks = (n + RowsPerBlock - 1) / RowsPerBlock;
        var context = new Context(input, weight, output, (int)m, n, k, alpha, beta);
        if (threads <= 1 || (long)m * n * k < 1 << 16)
        {
            for (int b = 0; b < blocks; b++) context.RunBlock(b);
            return;
        }
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = threads }, context.RunBlock);
    }

    private sealed class Context(Tensor input, Tensor weight, Tensor output, int m, int n, int k, float alpha, float beta)
    {
        public void RunBlock(int block)
        {
            int n0 = block * RowsPerBlock;
            int rows = Math.Min(RowsPerBlock, n - n0);
            float[]? rented = null;
            ReadOnlySpan<float> w;
            if (weight.DType == DType.F32)
            {
                w = CpuTensor.Span<float>(weight).Slice(n0 * k, rows * k);
            }
            else
            {
                rented = ArrayPool<float>.Shared.Rent(rows * k);
                var scratch = rented.AsSpan(0, rows * k);
                WeightRows.Read(weight, (long)n0 * k, scratch);
                w = scratch;
            }
            try
            {
                Multiply(CpuTensor.Span<float>(input), w, CpuTensor.Span<float>(output), m, n, k, n0, rows, alpha, beta);
            }
            finally
            {
                if (rented is not null) ArrayPool<float>.Shared.Return(rented);
            }
        }
    }

    private static void Multiply(ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> y,
        int m, int n, int k, int n0, int rows, float alpha, float beta)
    {
        int i = 0;
        for (; i + 2 <= m; i += 2)
        {
            var x0 = x.Slice(i * k, k);
            var x1 = x.Slice((i + 1) * k, k);
            int j = 0;
            for (; j + 2 <= rows; j += 2)
            {
                Dot2x2(x0, x1, w.Slice(j * k, k), w.Slice((j + 1) * k, k), out float d00, out float d01, out float d10, out float d11);
                Store(y, i * n + n0 + j, d00, alpha, beta);
                Store(y, i * n + n0 + j + 1, d01, alpha, beta);
                Store(y, (i + 1) * n + n0 + j, d10, alpha, beta);
                Store(y, (i + 1) * n + n0 + j + 1, d11, alpha, beta);
            }
            for (; j < rows; j++)
            {
                var wr = w.Slice(j * k, k);
                Store(y, i * n + n0 + j, TensorPrimitives.Dot(x0, wr), alpha, beta);
                Store(y, (i + 1) * n + n0 + j, TensorPrimitives.Dot(x1, wr), alpha, beta);
            }
        }
        for (; i < m; i++)
        {
            var xr = x.Slice(i * k, k);
            for (int j = 0; j < rows; j++)
                Store(y, i * n + n0 + j, TensorPrimitives.Dot(xr, w.Slice(j * k, k)), alpha, beta);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Span<float> y, int index, float dot, float alpha, float beta) =>
        y[index] = beta == 0f ? alpha * dot : alpha * dot + beta * y[index];

    /// <summary>Four dot products sharing loads: two input rows against two weight rows.</summary>
    private static void Dot2x2(ReadOnlySpan<float> x0, ReadOnlySpan<float> x1, ReadOnlySpan<float> w0, ReadOnlySpan<float> w1,
        out float d00, out float d01, out float d10, out float d11)
    {
        int k = x0.Length, p = 0;
        ref float rx0 = ref MemoryMarshal.GetReference(x0);
        ref float rx1 = ref MemoryMarshal.GetReference(x1);
        ref float rw0 = ref MemoryMarshal.GetReference(w0);
        ref float rw1 = ref MemoryMarshal.GetReference(w1);
        if (Vector512.IsHardwareAccelerated && k >= Vector512<float>.Count)
        {
            Vector512<float> a00 = default, a01 = default, a10 = default, a11 = default;
            for (; p + Vector512<float>.Count <= k; p += Vector512<float>.Count)
            {
                var vx0 = Vector512.LoadUnsafe(ref rx0, (nuint)p);
                var vx1 = Vector512.LoadUnsafe(ref rx1, (nuint)p);
                var vw0 = Vector512.LoadUnsafe(ref rw0, (nuint)p);
                var vw1 = Vector512.LoadUnsafe(ref rw1, (nuint)p);
                a00 = Vector512.FusedMultiplyAdd(vx0, vw0, a00);
                a01 = Vector512.FusedMultiplyAdd(vx0, vw1, a01);
                a10 = Vector512.FusedMultiplyAdd(vx1, vw0, a10);
                a11 = Vector512.FusedMultiplyAdd(vx1, vw1, a11);
            }
            d00 = Vector512.Sum(a00); d01 = Vector512.Sum(a01); d10 = Vector512.Sum(a10); d11 = Vector512.Sum(a11);
        }
        else if (Vector256.IsHardwareAccelerated && k >= Vector256<float>.Count)
        {
            Vector256<float> a00 = default, a01 = default, a10 = default, a11 = default;
            for (; p + Vector256<float>.Count <= k; p += Vector256<float>.Count)
            {
                var vx0 = Vector256.LoadUnsafe(ref rx0, (nuint)p);
                var vx1 = Vector256.LoadUnsafe(ref rx1, (nuint)p);
                var vw0 = Vector256.LoadUnsafe(ref rw0, (nuint)p);
                var vw1 = Vector256.LoadUnsafe(ref rw1, (nuint)p);
                a00 = Vector256.FusedMultiplyAdd(vx0, vw0, a00);
                a01 = Vector256.FusedMultiplyAdd(vx0, vw1, a01);
                a10 = Vector256.FusedMultiplyAdd(vx1, vw0, a10);
                a11 = Vector256.FusedMultiplyAdd(vx1, vw1, a11);
            }
            d00 = Vector256.Sum(a00); d01 = Vector256.Sum(a01); d10 = Vector256.Sum(a10); d11 = Vector256.Sum(a11);
        }
        else
        {
            d00 = d01 = d10 = d11 = 0f;
        }
        for (; p < k; p++)
        {
            float a = x0[p], b = x1[p], c = w0[p], d = w1[p];
            d00 += a * c; d01 += a * d; d10 += b * c; d11 += b * d;
        }
    }
}
