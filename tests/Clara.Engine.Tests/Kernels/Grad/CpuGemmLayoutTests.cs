using Clara.Engine.Backends;
using Clara.Engine.Backends.Cpu;
using Clara.Engine.Tensors;
using Clara.Engine.Tests.Support;
using NUnit.Framework;

namespace Clara.Engine.Tests.Kernels.Grad;

/// <summary>
/// The CPU Gemm reads some operands as they are stored instead of transposing them first: b as stored [K, N] in the
/// blocked kernel (dX = dY·W), and a transposed large a with a thin b as the transposed product (LoRA's dB = dYᵀ·H).
/// Both form every sum from the same products in the same order as the transposed-operand paths, so they must agree
/// bit for bit with the same product given pre-transposed operands, and with float64 to fp32 rounding. The shapes cross
/// the K blocks (512) and leave tails in every tile, and run on one and two threads.
/// </summary>
public class CpuGemmLayoutTests
{
    private static float[] Transposed(float[] source, int rows, int columns)
    {
        var result = new float[source.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++) result[(long)c * rows + r] = source[(long)r * columns + c];
        return result;
    }

    private static Tensor Stored(IBackend b, float[] values, DType dtype, params int[] dims)
    {
        if (dtype == DType.F32) return Tensor.FromFloats(b, values, dims);
        var bits = values.Select(FloatBits.FloatToBF16).ToArray();
        var t = Tensor.Allocate(b, new Shape(dims), DType.BF16);
        b.Upload(System.Runtime.InteropServices.MemoryMarshal.AsBytes(bits.AsSpan()), t);
        return t;
    }

    /// <summary>The values a BF16 tensor holds, so the float64 reference multiplies the same numbers.</summary>
    private static float[] RoundedToBF16(float[] values) => values.Select(v => FloatBits.BF16ToFloat(FloatBits.FloatToBF16(v))).ToArray();

    /// <summary>float64 alpha·A·B + beta·C for row-major A [m, k], B [k, n].</summary>
    private static double[] Reference(float[] a, float[] bKN, float[] c, int m, int n, int k, float alpha, float beta)
    {
        var result = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++) sum += (double)a[i * k + p] * bKN[p * n + j];
                result[i * n + j] = alpha * sum + beta * c[i * n + j];
            }
        return result;
    }

    private static void AssertClose(float[] actual, double[] expected, int k, string what)
    {
        for (int i = 0; i < actual.Length; i++)
            Assert.That(actual[i], Is.EqualTo(expected[i]).Within(1e-5 * Math.Sqrt(k) + 1e-5 * Math.Abs(expected[i])), $"{what} [{i}]");
    }

    [TestCase(1, 600, 776, 1100, "F32")]   // three K blocks, a 776 % 12 = 8 column tail, a 600 % 32 = 24 row tail
    [TestCase(2, 600, 776, 1100, "F32")]
    [TestCase(2, 300, 130, 70, "F32")]     // one short K block, column split (few row blocks)
    [TestCase(2, 520, 768, 530, "BF16")]   // a frozen BF16 weight read as stored, widened in the panel
    [TestCase(2, 40, 65, 513, "BF16")]
    public void WeightAsStoredEqualsTheTransposedWeight(int threads, int m, int n, int k, string type)
    {
        var dtype = Enum.Parse<DType>(type);
        using var backend = new CpuBackend(threads);
        var a = RandomValues.Uniform(m * k, 1);
        var bKN = RandomValues.Uniform(k * n, 2);
        if (dtype == DType.BF16) bKN = RoundedToBF16(bKN);
        var c = RandomValues.Uniform(m * n, 3);
        var asStored = Tensor.FromFloats(backend, c, m, n);
        var viaTranspose = Tensor.FromFloats(backend, c, m, n);
        backend.Kernels.Gemm(Tensor.FromFloats(backend, a, m, k), false, Stored(backend, bKN, dtype, k, n), false, asStored, 0.75f, -0.5f);
        backend.Kernels.Gemm(Tensor.FromFloats(backend, a, m, k), false, Stored(backend, Transposed(bKN, k, n), dtype, n, k), true, viaTranspose, 0.75f, -0.5f);
        var result = asStored.ToFloatArray();
        Assert.That(result, Is.EqualTo(viaTranspose.ToFloatArray()), "bit for bit against the transposed weight");
        AssertClose(result, Reference(a, bKN, c, m, n, k, 0.75f, -0.5f), k, "against float64");
    }

    [TestCase(1, 768, 16, 2048, 0f)]    // LoRA dB of o_proj: dYᵀ [768, 2048] · H [2048, 16]
    [TestCase(2, 768, 16, 2048, 1f)]    // accumulating into the store's gradient
    [TestCase(2, 2048, 16, 1100, 1f)]
    [TestCase(2, 256, 8, 700, -0.5f)]   // rank 8: N not a multiple of 16
    [TestCase(2, 96, 64, 300, 0f)]
    public void ThinProductOfATransposedLargeOperandIsExact(int threads, int m, int n, int k, float beta)
    {
        using var backend = new CpuBackend(threads);
        var aKM = RandomValues.Uniform(k * m, 4); // a as stored: [K, M], used transposed
        var b = RandomValues.Uniform(k * n, 5);
        var c = RandomValues.Uniform(m * n, 6);
        var swapped = Tensor.FromFloats(backend, c, m, n);
        var direct = Tensor.FromFloats(backend, c, m, n);
        backend.Kernels.Gemm(Tensor.FromFloats(backend, aKM, k, m), true, Tensor.FromFloats(backend, b, k, n), false, swapped, 0.5f, beta);
        var aMK = Transposed(aKM, k, m);
        backend.Kernels.Gemm(Tensor.FromFloats(backend, aMK, m, k), false, Tensor.FromFloats(backend, b, k, n), false, direct, 0.5f, beta);
        var result = swapped.ToFloatArray();
        Assert.That(result, Is.EqualTo(direct.ToFloatArray()), "bit for bit against the pre-transposed operand");
        AssertClose(result, Reference(aMK, b, c, m, n, k, 0.5f, beta), k, "against float64");
    }

    /// <summary>
    /// Few rows against a large [K, N] operand (LoRA's dA = dHᵀ·X) run in K chunks with the running sums stored between
    /// them: bit for bit the single pass over K, on one and two threads, with column tails and a last short chunk.
    /// </summary>
    [TestCase(1, 16, 768, 2048, 0f)]
    [TestCase(2, 16, 768, 2048, 1f)]
    [TestCase(2, 6, 2048, 1100, -0.5f)]
    [TestCase(2, 40, 784, 777, 0f)]
    [TestCase(2, 3, 272, 5000, 1f)]
    public unsafe void ChunkedThinRowsEqualOnePassOverK(int threads, int m, int n, int k, float beta)
    {
        var x = RandomValues.Uniform(m * k, 7);
        var wt = RandomValues.Uniform(k * n, 8);
        var c = RandomValues.Uniform(m * n, 9);
        float[] chunked = (float[])c.Clone(), onePass = (float[])c.Clone();
        fixed (float* xp = x, wp = wt, yc = chunked, y1 = onePass)
        {
            StreamedThinRows.Run(xp, k, wp, n, yc, n, m, n, k, 0.5f, beta, threads);
            RowBroadcastGemm.Multiply(xp, k, wp, n, y1, n, m, n, k, 0.5f, beta);
        }
        Assert.That(chunked, Is.EqualTo(onePass), "bit for bit against one pass over K");
        AssertClose(chunked, Reference(x, wt, c, m, n, k, 0.5f, beta), k, "against float64");
    }
}
