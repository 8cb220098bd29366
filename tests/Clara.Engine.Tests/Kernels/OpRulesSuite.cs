using Clara.Engine.Backends;
using Clara.Engine.Tests.Support;
using Clara.Engine.Tensors;
using NUnit.Framework;

namespace Clara.Engine.Tests.Kernels;

/// <summary>
/// Every backend refuses the same malformed calls with the same words, because both call the op's rules type
/// (Backends/Ops). The expected messages are written here by hand, so a backend that checks on its own, or not at
/// all, fails.
/// </summary>
public abstract class OpRulesSuite : BackendSuite
{
    private Tensor Halves(params int[] dims) => Tensor.Allocate(Backend, new Shape(dims), DType.F16);

    [Test]
    public void MatMulNamesTheOperandThatDisagrees()
    {
        var ex = Assert.Throws<ArgumentException>(() => Backend.Kernels.MatMul(Zeros(3, 5), Zeros(4, 6), Zeros(3, 4)));
        Assert.That(ex!.Message, Is.EqualTo("matmul input [3, 5] has 5 columns, weight [4, 6] expects 6"));
        ex = Assert.Throws<ArgumentException>(() => Backend.Kernels.MatMul(Ints(new int[15], 3, 5), Zeros(4, 5), Zeros(3, 4)));
        Assert.That(ex!.Message, Is.EqualTo("matmul input must be F32, got I32[3, 5]"));
    }

    [Test]
    public void AMatMulWritingOverItsInputIsRefused()
    {
        var both = Zeros(4, 4);
        var ex = Assert.Throws<ArgumentException>(() => Backend.Kernels.MatMul(both, Zeros(4, 4), both));
        Assert.That(ex!.Message, Is.EqualTo("matmul output must not overlap its input"));
    }

    [Test]
    public void ElementwiseOpsNeedOperandsOfOneSize()
    {
        var ex = Assert.Throws<ArgumentException>(() => Backend.Kernels.Add(Zeros(4), Zeros(5), Zeros(4)));
        Assert.That(ex!.Message, Is.EqualTo("add shapes disagree: [4] + [5] -> [4]"));
        ex = Assert.Throws<ArgumentException>(() => Backend.Kernels.SwiGlu(Zeros(4), Zeros(4), Zeros(3)));
        Assert.That(ex!.Message, Is.EqualTo("swiglu shapes disagree: gate [4], up [4], output [3]"));
    }

    [Test]
    public void NormEmbeddingAndRopeRefuseMismatchedOperands()
    {
        var ex = Assert.Throws<ArgumentException>(() => Backend.Kernels.RmsNorm(Zeros(2, 8), Zeros(7), 1e-5f, Zeros(2, 8)));
        Assert.That(ex!.Message, Is.EqualTo("rmsnorm shapes disagree: input [2, 8], weight [7], output [2, 8]"));
        ex = Assert.Throws<ArgumentException>(() => Backend.Kernels.Embedding(Ints([0, 1], 2), Zeros(10, 4), Zeros(2, 5)));
        Assert.That(ex!.Message, Is.EqualTo("embedding output [2, 5] does not match 2 ids × 4"));
        ex = Assert.Throws<ArgumentException>(() => Backend.Kernels.Rope(Zeros(2, 12), Ints([0, 1], 2), 5, 1e4f, Zeros(2, 12)));
        Assert.That(ex!.Message, Is.EqualTo("rope head dimension 5 must be even and positive"));
    }

    [Test]
    public void RowsSoftmaxAndCosineRefuseMismatchedOperands()
    {
        var ex = Assert.Throws<ArgumentException>(() => Backend.Kernels.GatherRows(Zeros(4, 3), Ints([0, 1], 2), Zeros(3, 3)));
        Assert.That(ex!.Message, Is.EqualTo("gather output [3, 3] should be [2, 3]"));
        ex = Assert.Throws<ArgumentException>(() => Backend.Kernels.LogSoftmax(Zeros(2, 3), Zeros(2, 4)));
        Assert.That(ex!.Message, Is.EqualTo("log-softmax output [2, 4] differs from input [2, 3]"));
        ex = Assert.Throws<ArgumentException>(() => Backend.Kernels.CosineScores(Halves(4), Zeros(3, 4), Zeros(3)));
        Assert.That(ex!.Message, Is.EqualTo("cosine query must be F32, got F16[4]"));
    }

    [Test]
    public void AttentionChecksTheMaskAgainstTheCache()
    {
        var layout = new AttentionLayout(1, 2, 0, 2, 1, 4, 0.5f);
        var ex = Assert.Throws<ArgumentException>(() =>
            Backend.Kernels.Attention(Zeros(2, 8), Zeros(1, 3, 4), Zeros(1, 3, 4), Ints([1, 1], 1, 2), layout, Zeros(2, 8)));
        Assert.That(ex!.Message, Is.EqualTo("key mask [1, 2] should be [1, 3]"));
    }
}

[TestFixture] public sealed class CpuOpRulesTests : OpRulesSuite { protected override IBackend CreateBackend() => new Backends.Cpu.CpuBackend(); }
