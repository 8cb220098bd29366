using Clara.Engine.Backends;
using Clara.Engine.Backends.Cpu;
using Clara.Engine.Tensors;
using Clara.Engine.Tests.Support;
using NUnit.Framework;

namespace Clara.Engine.Tests.Kernels;

/// <summary>
/// The decode matmul (1–16 input rows, weights streamed and widened in the dot products) against float64 products of
/// the same F32/BF16/F16 weights (tests/fixtures/kernels/gemv.safetensors, tests/oracle/make_kernel_fixtures.py):
/// odd K (vector tails), N not a multiple of the four-row blocks, one to sixteen input rows, zeros of both signs and
/// f16 subnormals in the weights, and a size large enough to split across threads.
/// </summary>
public abstract class GemvSuite : BackendSuite
{
    private const double Tolerance = 1e-5;

    public static readonly string[] Cases =
    [
        .. from dtype in new[] { "f32", "bf16", "f16" }
           from shape in new[] { "1x5x7", "1x67x301", "1x515x263", "2x37x129", "3x75x96", "16x83x130", "7x45x144", "13x21x37" }
           select $"{dtype}_{shape}",
    ];

    private readonly List<Tensor> _weights = [];

    [TearDown]
    public void FreeWeights()
    {
        foreach (var t in _weights) t.Buffer.Dispose();
        _weights.Clear();
    }

    [TestCaseSource(nameof(Cases))]
    public void ProductMatchesFloat64(string name)
    {
        var f = KernelFixture.Load("gemv");
        var output = Zeros(f.Shape($"{name}.y"));
        Backend.Kernels.MatMul(Floats(f.F32($"{name}.x"), f.Shape($"{name}.x")), Weight(f, name), output);
        Compare.AssertClose(output.ToFloatArray(), f.F32($"{name}.y"), Tolerance, $"gemv {name}");
    }

    [Test]
    public void F16InfinityAndNaNWeightsGiveInfinityAndNaNColumns()
    {
        var f = KernelFixture.Load("gemv");
        var expected = f.F32("f16_special.y");
        var output = Zeros(f.Shape("f16_special.y"));
        Backend.Kernels.MatMul(Floats(f.F32("f16_special.x"), f.Shape("f16_special.x")), Weight(f, "f16_special"), output);
        var actual = output.ToFloatArray();
        int finite = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            if (float.IsFinite(expected[i]))
            {
                Assert.That(actual[i], Is.EqualTo(expected[i]).Within(1e-5 * Math.Max(1, Math.Abs(expected[i]))), $"entry {i}");
                finite++;
            }
            else if (float.IsNaN(expected[i])) Assert.That(actual[i], Is.NaN, $"entry {i}");
            else Assert.That(actual[i], Is.EqualTo(expected[i]), $"entry {i}");
        }
        Assert.That(finite, Is.LessThan(expected.Length), "the fixture holds non-finite columns");
    }

    private Tensor Weight(KernelFixture f, string name)
    {
        var dtype = name.Split('_')[0] switch { "bf16" => DType.BF16, "f16" => DType.F16, _ => DType.F32 };
        var t = Tensor.Allocate(Backend, new Tensors.Shape(f.Shape($"{name}.w")), dtype);
        _weights.Add(t);
        Backend.Upload(f.Bytes($"{name}.w", dtype.SafetensorsName()), t);
        return t;
    }
}

[TestFixture] public sealed class CpuGemvTests : GemvSuite { protected override IBackend CreateBackend() => new CpuBackend(); }

/// <summary>One thread: the whole product on the calling thread, no row split.</summary>
[TestFixture] public sealed class CpuGemvOneThreadTests : GemvSuite { protected override IBackend CreateBackend() => new CpuBackend(threads: 1); }
