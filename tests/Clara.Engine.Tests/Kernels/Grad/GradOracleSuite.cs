using Clara.Engine.Tensors;
using Clara.Engine.Tests.Support;
using NUnit.Framework;

namespace Clara.Engine.Tests.Kernels.Grad;

/// <summary>
/// Base of the training-op suites: fixtures of tests/oracle/make_grad_fixtures.py (PyTorch autograd, or float64
/// where stated) under tests/fixtures/kernels/grad, uploaded to the suite's backend. Each op family is an abstract
/// suite instantiated per backend (CPU here, CUDA in tests/Clara.Engine.Tests/Cuda/CudaGradOracleTests.cs).
/// </summary>
public abstract class GradOracleSuite : BackendSuite
{
    /// <summary>Max error relative to the reference tensor's largest entry.</summary>
    protected const double Tolerance = 1e-5;

    protected static KernelFixture Load(string name)
    {
        var path = Path.Combine(Fixtures.Root, "kernels", "grad", name + ".safetensors");
        if (!File.Exists(path)) Assert.Fail($"fixture {path} is missing; run /usr/bin/python3 tests/oracle/make_grad_fixtures.py");
        return KernelFixture.Load(Path.Combine("grad", name));
    }

    /// <summary>An F32 fixture tensor on the backend, with its stored shape.</summary>
    protected Tensor F32(KernelFixture f, string name) => Floats(f.F32(name), f.Shape(name));

    protected Tensor I32(KernelFixture f, string name) => Ints(f.I32(name), f.Shape(name));

    /// <summary>A fixture tensor kept in its 16-bit storage (a frozen bf16 weight), or F32.</summary>
    protected Tensor Stored(KernelFixture f, string name, DType dtype)
    {
        if (dtype == DType.F32) return F32(f, name);
        var t = Tensor.Allocate(Backend, new Tensors.Shape(f.Shape(name)), dtype);
        _stored.Add(t);
        Backend.Upload(f.Bytes(name, dtype.ToString()), t);
        return t;
    }

    private readonly List<Tensor> _stored = [];

    [TearDown]
    public void FreeStored()
    {
        foreach (var t in _stored) t.Buffer.Dispose();
        _stored.Clear();
    }

    /// <summary>
    /// The element-wise check for tensors whose small entries matter (gradients of padded rows, ignored targets):
    /// every |actual − expected| ≤ 1e-4·|expected| + 1e-6·max|expected|, and the structural zeros (by default every
    /// entry the reference has at exactly 0; or those <paramref name="structuralZero"/> names, which the reference must
    /// also have at 0) are exactly 0.
    /// </summary>
    protected static void AssertElementwise(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, string what, Func<int, bool>? structuralZero = null)
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), $"{what}: length");
        var zeros = new bool[expected.Length];
        for (int i = 0; i < actual.Length; i++)
        {
            if (!(structuralZero?.Invoke(i) ?? expected[i] == 0f)) continue;
            zeros[i] = true;
            Assert.That(expected[i], Is.EqualTo(0f), $"{what}[{i}]: the reference is not 0 where the test expects a structural zero");
            Assert.That(actual[i], Is.EqualTo(0f), $"{what}[{i}] must be exactly 0");
        }
        Compare.AssertElementwiseClose(actual, expected, 1e-4, 1e-6, what, i => !zeros[i]);
    }

    protected static void AssertOracle(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, string what, Func<int, bool>? structuralZero = null)
    {
        Compare.AssertClose(actual, expected, Tolerance, what);
        AssertElementwise(actual, expected, what, structuralZero);
    }

    /// <summary>Runs <paramref name="call"/> and synchronises (a CUDA kernel reports bad data there), expecting an ArgumentException naming <paramref name="operand"/>.</summary>
    protected void AssertRefused(Action call, string operand)
    {
        var ex = Assert.Catch<ArgumentException>(() =>
        {
            call();
            Backend.Synchronize();
        });
        Assert.That(ex!.Message, Does.Contain(operand));
    }
}
