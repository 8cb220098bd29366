using System.Runtime.Intrinsics;
using Clara.Engine.Backends.Cpu;
using Clara.Engine.Tensors;
using Clara.Engine.Tests.Support;
using NUnit.Framework;

namespace Clara.Engine.Tests.Kernels;

/// <summary>
/// The CPU kernels run at the widest vector width the machine accelerates (<see cref="SimdDispatch"/>). These tests
/// run each width-generic kernel at every width on this machine (a width wider than the hardware's is emulated by the
/// JIT: slow but exact) and check that the blocked products give the same bits at every width, and that the
/// streamed matrix-vector product, whose lane sums do depend on the width, stays within fp32 rounding of float64.
/// tools/test.sh also reruns the CPU kernel suites with DOTNET_EnableAVX512F=0, DOTNET_EnableAVX2=0 and
/// DOTNET_EnableHWIntrinsic=0, setting CLARA_EXPECT_SIMD_WIDTH so the first test here proves the setting took.
/// </summary>
public unsafe class SimdWidthTests
{
    [Test]
    public void ReportsTheWidthTheKernelsDispatchTo()
    {
        // Progress reaches the console as the run goes; Out is kept in the TRX file, where tools/test.sh reads it.
        TestContext.Progress.WriteLine($"CPU kernels: {SimdDispatch.Describe()}");
        TestContext.Out.WriteLine($"CPU kernels: {SimdDispatch.Describe()}");
        Assert.That(SimdDispatch.Widest == SimdWidth.Bits512, Is.EqualTo(Vector512.IsHardwareAccelerated), "512 exactly when accelerated");
        Assert.That(SimdDispatch.Widest >= SimdWidth.Bits256, Is.EqualTo(Vector256.IsHardwareAccelerated || Vector512.IsHardwareAccelerated),
            "256 or wider exactly when accelerated");
        if (Environment.GetEnvironmentVariable("CLARA_EXPECT_SIMD_WIDTH") is { Length: > 0 } expected)
            Assert.That(SimdDispatch.Describe(), Does.StartWith(expected), "the width the runtime settings should leave");
    }

    [TestCase(DType.F32, false, 70, 100, 600, 0f)]   // row and weight tails, two K blocks
    [TestCase(DType.F32, false, 300, 130, 90, 0.5f)] // one block of every row, beta
    [TestCase(DType.F32, false, 450, 40, 70, 0.5f)]  // more rows than one block holds: 256 + 194, beta
    [TestCase(DType.BF16, false, 45, 77, 520, 0f)]
    [TestCase(DType.F16, false, 33, 70, 100, 1f)]
    [TestCase(DType.F32, true, 70, 100, 600, 0.5f)]  // a [K, N] weight
    [TestCase(DType.BF16, true, 40, 96, 130, 0f)]
    public void BlockedProductIsBitIdenticalAtEveryWidth(DType type, bool weightKN, int m, int n, int k, float beta)
    {
        var x = RandomValues.Uniform(m * k, 1);
        var w = StoredWeights(RandomValues.Uniform(n * k, 2), type);
        var results = SimdDispatch.All.Select(width => Product(x, w, type, m, n, k, beta, weightKN,
            p => BroadcastGemm.Run(p, 2, width))).ToList();
        for (int i = 1; i < results.Count; i++)
            Assert.That(results[i], Is.EqualTo(results[0]), $"{SimdDispatch.All[i]} against {SimdDispatch.All[0]}");
        AssertNear(results[0], Reference(x, Widened(w, type), m, n, k, beta, weightKN), k);
    }

    [TestCase(13, 45, 37, 0f)]   // a row tail, a two-vector and a partial one-vector column tile
    [TestCase(29, 64, 200, 1f)]  // beta reads y
    [TestCase(1, 7, 5, 0.5f)]
    public void RowBroadcastProductIsBitIdenticalAtEveryWidth(int m, int n, int k, float beta)
    {
        int padded = RowBroadcastGemm.PaddedColumns(n);
        var x = RandomValues.Uniform(m * k, 3);
        var wt = RandomValues.Uniform(k * padded, 4);
        var results = new List<float[]>();
        foreach (var width in SimdDispatch.All)
        {
            var y = RandomValues.Uniform(m * n, 5);
            fixed (float* xp = x, wp = wt, yp = y)
                RowBroadcastGemm.Multiply(xp, k, wp, padded, yp, n, m, n, k, 0.75f, beta, width);
            results.Add(y);
        }
        for (int i = 1; i < results.Count; i++)
            Assert.That(results[i], Is.EqualTo(results[0]), $"{SimdDispatch.All[i]} against {SimdDispatch.All[0]}");
        var w = new float[n * k];
        for (int c = 0; c < k; c++)
            for (int j = 0; j < n; j++) w[j * k + c] = wt[c * padded + j];
        var expected = Reference(x, w, m, n, k, beta, false, alpha: 0.75f, seedY: 5);
        AssertNear(results[0], expected, k);
    }

    [TestCase(DType.F32, 1, 100, 77)]
    [TestCase(DType.F32, 5, 37, 300)]
    [TestCase(DType.BF16, 2, 64, 129)]
    [TestCase(DType.F16, 3, 20, 50)]
    public void PortableGemvIsRightAtEveryWidth(DType type, int m, int n, int k)
    {
        var x = RandomValues.Uniform(m * k, 6);
        var w = StoredWeights(RandomValues.Uniform(n * k, 7), type);
        var expected = Reference(x, Widened(w, type), m, n, k, 0f, false);
        foreach (var width in SimdDispatch.All)
            AssertNear(Product(x, w, type, m, n, k, 0f, false, p => WeightStreamingGemv.RunPortable(p, 2, width)), expected, k, $"{width}");
    }

    /// <summary>y = 0.75 · x · Wᵀ + beta · y through <paramref name="run"/>, y starting from seeded values.</summary>
    private static float[] Product(float[] x, byte[] w, DType type, int m, int n, int k, float beta, bool weightKN, Action<Product> run)
    {
        var y = RandomValues.Uniform(m * n, 5);
        fixed (float* xp = x, yp = y)
        fixed (byte* wp = w)
            run(new Product(xp, wp, type, yp, m, n, k, 0.75f, beta, weightKN));
        return y;
    }

    /// <summary>The values stored as <paramref name="type"/>, as raw bytes (the layout is whatever the caller's is).</summary>
    private static byte[] StoredWeights(float[] values, DType type) => type switch
    {
        DType.F32 => System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray(),
        DType.BF16 => System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.Select(FloatBits.FloatToBF16).ToArray().AsSpan()).ToArray(),
        _ => System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.Select(FloatBits.FloatToF16).ToArray().AsSpan()).ToArray(),
    };

    /// <summary>The stored weights as the kernels read them, in fp32.</summary>
    private static float[] Widened(byte[] stored, DType type) => type switch
    {
        DType.F32 => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(stored).ToArray(),
        DType.BF16 => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(stored).ToArray().Select(FloatBits.BF16ToFloat).ToArray(),
        _ => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(stored).ToArray().Select(FloatBits.F16ToFloat).ToArray(),
    };

    /// <summary>alpha · x · Wᵀ + beta · y0 in float64, W [N, K] (or [K, N] when <paramref name="weightKN"/>).</summary>
    private static double[] Reference(float[] x, float[] w, int m, int n, int k, float beta, bool weightKN, float alpha = 0.75f, int seedY = 5)
    {
        var y0 = RandomValues.Uniform(m * n, seedY);
        var y = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int c = 0; c < k; c++) sum += (double)x[i * k + c] * w[weightKN ? c * n + j : j * k + c];
                y[i * n + j] = alpha * sum + (beta == 0f ? 0 : beta * (double)y0[i * n + j]);
            }
        return y;
    }

    /// <summary>fp32 accumulation of k products of values below 1: within a few ulps of √k-sized sums.</summary>
    private static void AssertNear(float[] actual, double[] expected, int k, string what = "")
    {
        double tolerance = 1e-6 * k;
        for (int i = 0; i < expected.Length; i++)
            Assert.That(actual[i], Is.EqualTo(expected[i]).Within(tolerance), $"{what} element {i}");
    }
}
