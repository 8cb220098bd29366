using System.Runtime.InteropServices;
using Clara.Engine.Backends;
using Clara.Engine.Backends.Cpu;
using Clara.Engine.Tensors;
using Clara.Engine.Tests.Support;
using NUnit.Framework;

namespace Clara.Engine.Tests.Kernels;

/// <summary>
/// Q8_0 weights against PyTorch (tests/fixtures/kernels/q8_gemv.safetensors, tests/oracle/make_kernel_fixtures.py
/// <c>q8_gemv</c>): the quantisation of fp32 weights bit for bit (llama.cpp's rule, ties and an all-zero block
/// included), and the products: y = x · dequant(W)ᵀ in float64, and y_int8 with the activations quantised as the
/// int8 kernels do. Shapes with 1–16 input rows go through the streamed GEMV (both inner products), 17 rows through the
/// thin kernel that dequantises tiles, 21, 33 and 40 through the AVX-VNNI int8 GEMM where the CPU has AVX-VNNI (else the
/// blocked kernel, dequantising); on CUDA every shape goes through kernels/q8_gemv.cu
/// (tests/Clara.Engine.Tests/Cuda/CudaQ8GemvTests.cs). Tolerance: 1e-5 of the largest output (fp32 sums of at most
/// 320 products, as for the 16-bit GEMV).
/// </summary>
public abstract class Q8GemvSuite : BackendSuite
{
    protected const double Tolerance = 1e-5;

    public static readonly string[] Cases =
        ["q8_1x5x32", "q8_1x67x320", "q8_1x515x256", "q8_2x37x128", "q8_3x75x96", "q8_16x83x160", "q8_17x29x64", "q8_40x130x192", "q8_7x45x288", "q8_2x9x544",
         "q8_21x72x96", "q8_33x100x320"];

    public static readonly string[] GemvCases = Cases.Where(c => Rows(c) <= 16).ToArray();

    private readonly List<Tensor> _weights = [];

    protected abstract int Threads { get; }

    [TearDown]
    public void FreeWeights()
    {
        foreach (var t in _weights) t.Buffer.Dispose();
        _weights.Clear();
    }

    protected static int Rows(string name) => int.Parse(name.Split('_')[1].Split('x')[0]);

    [TestCaseSource(nameof(Cases))]
    public void QuantisationMatchesPyTorch(string name)
    {
        var f = KernelFixture.Load("q8_gemv");
        var w = f.F32($"{name}.w");
        var q = new sbyte[w.Length];
        var scales = new ushort[w.Length / Q8Blocks.BlockSize];
        Q8Blocks.Quantize(w, q, scales);
        Assert.That(MemoryMarshal.AsBytes(q.AsSpan()).ToArray(), Is.EqualTo(f.Bytes($"{name}.q", "I8")), "int8 values");
        Assert.That(MemoryMarshal.AsBytes(scales.AsSpan()).ToArray(), Is.EqualTo(f.Bytes($"{name}.scales", "F16")), "f16 scales");
    }

    /// <summary>
    /// Through IKernels.MatMul: the int8 inner product for one or two rows, dequantised four-row blocks for 3–16, the
    /// int8 GEMM beyond where the CPU has AVX-VNNI, else dequantised tiles of the blocked GEMM.
    /// </summary>
    [TestCaseSource(nameof(Cases))]
    public void MatMulMatchesFloat64(string name)
    {
        var f = KernelFixture.Load("q8_gemv");
        var output = Zeros(f.Shape($"{name}.y"));
        Backend.Kernels.MatMul(Floats(f.F32($"{name}.x"), f.Shape($"{name}.x")), Weight(f, name), output);
        // The CPU's int8 paths (one or two rows; prefill's GEMM with AVX-VNNI) quantise the activations (y_int8); the
        // others, CUDA's included, do not.
        bool int8 = Backend is CpuBackend && CpuQuantisesInputs(Rows(name), f.Shape($"{name}.w"));
        Compare.AssertClose(output.ToFloatArray(), f.F32(int8 ? $"{name}.y_int8" : $"{name}.y"), Tolerance, $"q8 matmul {name}");
    }

    private static bool CpuQuantisesInputs(int rows, int[] weightShape)
    {
        if (rows <= 16) return Q8StreamedGemv.IsSupported && Q8StreamedGemv.KindFor(rows) == Q8DotKind.Int8;
        return Q8VnniGemm.Takes(rows, weightShape[0], weightShape[1]);
    }

    /// <summary>Gemm is the backward's product; through a Q8_0 weight it is refused by name, not computed wrongly.</summary>
    [Test]
    public void TrainingProductsRefuseQ8Weights()
    {
        var f = KernelFixture.Load("q8_gemv");
        var weight = Weight(f, "q8_2x37x128");
        var gradOutput = Floats(new float[2 * 37], 2, 37);
        var e = Assert.Throws<NotSupportedException>(() => Backend.Kernels.Gemm(gradOutput, false, weight, false, Zeros(2, 128)));
        Assert.That(e!.Message, Does.Contain("training through Q8_0 weights is not supported"));
    }

    [Test]
    public void ScalesMustMatchTheWeight()
    {
        var values = Tensor.Allocate(Backend, new Tensors.Shape(4, 64), DType.I8);
        var wrong = Tensor.Allocate(Backend, new Tensors.Shape(4, 3), DType.F16);
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => Tensor.Quantized(values.Buffer, 0, values.Shape, wrong));
            Assert.That(e!.Message, Does.Contain("[4, 2]"));
            Assert.Throws<ArgumentException>(() => _ = new Tensor(values.Buffer, 0, values.Shape, DType.Q8_0), "Q8_0 without scales");
            var odd = Assert.Throws<InvalidDataException>(() => Q8Blocks.ScalesShape(new Tensors.Shape(4, 48), "w"));
            Assert.That(odd!.Message, Does.Contain("multiple of 32"));
        }
        finally
        {
            values.Buffer.Dispose();
            wrong.Buffer.Dispose();
        }
    }

    private Tensor Weight(KernelFixture f, string name)
    {
        var shape = new Tensors.Shape(f.Shape($"{name}.q"));
        var values = Tensor.Allocate(Backend, shape, DType.I8);
        var scales = Tensor.Allocate(Backend, Q8Blocks.ScalesShape(shape, name), DType.F16);
        _weights.Add(values);
        _weights.Add(scales);
        Backend.Upload(f.Bytes($"{name}.q", "I8"), values);
        Backend.Upload(f.Bytes($"{name}.scales", "F16"), scales);
        return Tensor.Quantized(values.Buffer, 0, shape, scales);
    }
}

/// <summary>The suite on the CPU backend, plus the CPU's own two inner products (the CUDA suite has no such kernels).</summary>
public abstract class CpuQ8GemvSuite : Q8GemvSuite
{
    [TestCaseSource(nameof(GemvCases))]
    public unsafe void BothInnerProductsMatchFloat64(string name)
    {
        if (!Q8StreamedGemv.IsSupported) Assert.Ignore("the Q8_0 GEMV needs AVX2 + FMA");
        var f = KernelFixture.Load("q8_gemv");
        var x = f.F32($"{name}.x");
        var q = f.Bytes($"{name}.q", "I8");
        var scales = MemoryMarshal.Cast<byte, ushort>(f.Bytes($"{name}.scales", "F16")).ToArray();
        int[] shape = f.Shape($"{name}.w");
        int m = Rows(name), n = shape[0], k = shape[1];
        foreach (var (kind, expected) in new[] { (Q8DotKind.Widened, "y"), (Q8DotKind.Int8, "y_int8") })
        {
            var y = new float[m * n];
            fixed (float* xp = x, yp = y)
            fixed (byte* wp = q)
            fixed (ushort* sp = scales)
                Q8StreamedGemv.Run(new Product(xp, wp, DType.Q8_0, yp, m, n, k, 1f, 0f, scales: sp), Threads, kind);
            Compare.AssertClose(y, f.F32($"{name}.{expected}"), Tolerance, $"{kind} {name}");
        }
    }

    public static readonly string[] GemmCases = Cases.Where(c => Rows(c) > 16).ToArray();

    /// <summary>
    /// The AVX-VNNI int8 GEMM called directly on every shape beyond decoding's (the thin 17 × 29 × 64 too, which
    /// MatMul sends elsewhere): partial groups of eight weight rows, a last micro-tile of one input row, and alpha and
    /// beta (y = 0.5 · y_int8 + 2 · y0).
    /// </summary>
    [TestCaseSource(nameof(GemmCases))]
    public unsafe void VnniGemmMatchesFloat64(string name)
    {
        if (!Q8VnniGemm.IsSupported) Assert.Ignore("this CPU has no AVX-VNNI: its Q8_0 prefill dequantises the weights instead (checked by MatMulMatchesFloat64)");
        var f = KernelFixture.Load("q8_gemv");
        int[] shape = f.Shape($"{name}.w");
        int m = Rows(name), n = shape[0];
        var expected = f.F32($"{name}.y_int8");
        var y0 = Enumerable.Range(0, m * n).Select(i => (float)Math.Sin(i)).ToArray();
        var y = (float[])y0.Clone();
        RunVnni(f, name, m, 0, y, alpha: 0.5f, beta: 2f);
        Compare.AssertClose(y, expected.Select((v, i) => 0.5f * v + 2f * y0[i]).ToArray(), Tolerance, $"vnni {name}");
    }

    /// <summary>A row's result is the same bits whichever batch it is computed in (compressed memories rely on it).</summary>
    [Test]
    public unsafe void VnniGemmRowsDoNotDependOnTheirBatch()
    {
        if (!Q8VnniGemm.IsSupported) Assert.Ignore("this CPU has no AVX-VNNI");
        var f = KernelFixture.Load("q8_gemv");
        const string name = "q8_33x100x320";
        int n = f.Shape($"{name}.w")[0];
        var whole = new float[33 * n];
        RunVnni(f, name, 33, 0, whole, 1f, 0f);
        var part = new float[17 * n];
        RunVnni(f, name, 17, 5, part, 1f, 0f);
        Assert.That(part, Is.EqualTo(whole.AsSpan(5 * n, 17 * n).ToArray()));
    }

    private unsafe void RunVnni(KernelFixture f, string name, int rows, int firstRow, float[] y, float alpha, float beta)
    {
        int[] shape = f.Shape($"{name}.w");
        int n = shape[0], k = shape[1];
        var x = f.F32($"{name}.x");
        var q = f.Bytes($"{name}.q", "I8");
        var scales = MemoryMarshal.Cast<byte, ushort>(f.Bytes($"{name}.scales", "F16")).ToArray();
        fixed (float* xp = x, yp = y)
        fixed (byte* wp = q)
        fixed (ushort* sp = scales)
            Q8VnniGemm.Run(new Product(xp + (long)firstRow * k, wp, DType.Q8_0, yp, rows, n, k, alpha, beta, scales: sp), Threads);
    }
}

[TestFixture] public sealed class CpuQ8GemvTests : CpuQ8GemvSuite
{
    protected override int Threads => 2;
    protected override IBackend CreateBackend() => new CpuBackend(threads: 2);
}

/// <summary>One thread: the whole product on the calling thread, no row split.</summary>
[TestFixture] public sealed class CpuQ8GemvOneThreadTests : CpuQ8GemvSuite
{
    protected override int Threads => 1;
    protected override IBackend CreateBackend() => new CpuBackend(threads: 1);
}
