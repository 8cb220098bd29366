using Clara.Engine.Tensors;
using Clara.Engine.Tests.Support;
using NUnit.Framework;

namespace Clara.Engine.Tests.Kernels.Grad;

/// <summary><see cref="Backends.IKernels.Gemm"/> against float64 products of the same (fp32 or bf16) operands.</summary>
public abstract class GemmSuite : GradOracleSuite
{
    public static readonly string[] Cases =
    [
        "rows2.nn.f32", "rows2.nt.f32", "rows2.tn.f32", "rows2.tt.f32",
        "thin.nn.f32", "thin.nt.f32", "thin.tn.f32", "thin.tt.f32", "thin.nn.bf16", "thin.nt.bf16",
        "large.nn.f32", "large.nt.f32", "large.tn.f32", "large.tt.f32", "large.nn.bf16", "large.nt.bf16",
        "direct_rows.nn.f32", "direct_rows.tn.f32", "direct_rows.nt.f32", "direct_rows.tt.f32",
        "direct_columns.nn.f32", "direct_columns.tn.f32", "direct_columns.nt.f32", "direct_columns.tt.f32",
    ];

    [TestCaseSource(nameof(Cases))]
    public void ProductMatchesFloat64(string name)
    {
        var f = Load("gemm");
        bool ta = name.Split('.')[1][0] == 't', tb = name.Split('.')[1][1] == 't';
        var b = Stored(f, $"{name}.b", name.EndsWith("bf16") ? DType.BF16 : DType.F32);
        var output = F32(f, $"{name}.c");
        Backend.Kernels.Gemm(F32(f, $"{name}.a"), ta, b, tb, output, (float)f.F64Scalar($"{name}.alpha"), (float)f.F64Scalar($"{name}.beta"));
        AssertOracle(output.ToFloatArray(), f.F32($"{name}.out"), $"gemm {name}");
    }

    [Test]
    public void MatMulIsGemmWithTheWeightTransposed()
    {
        var f = Load("gemm");
        const string name = "large.nt.bf16";
        var a = F32(f, $"{name}.a");
        var b = Stored(f, $"{name}.b", DType.BF16);
        var viaGemm = Zeros(f.Shape($"{name}.out"));
        var viaMatMul = Zeros(f.Shape($"{name}.out"));
        Backend.Kernels.Gemm(a, false, b, true, viaGemm);
        Backend.Kernels.MatMul(a, b, viaMatMul);
        Assert.That(viaGemm.ToFloatArray(), Is.EqualTo(viaMatMul.ToFloatArray()));
    }

    [Test]
    public void MismatchedOperandsAreRefusedByName()
    {
        AssertRefused(() => Backend.Kernels.Gemm(Zeros(3, 4), false, Zeros(5, 4), false, Zeros(3, 4)), "gemm b");
        AssertRefused(() => Backend.Kernels.Gemm(Zeros(3, 4), false, Zeros(5, 4), true, Zeros(3, 4)), "gemm output");
        AssertRefused(() => Backend.Kernels.Gemm(Ints([1, 2], 1, 2), false, Zeros(2, 2), false, Zeros(1, 2)), "gemm a");
    }
}

/// <summary>AddScaled, Fill, Sum and SumOfSquares against float64 PyTorch values.</summary>
public abstract class VectorOpsSuite : GradOracleSuite
{
    [Test]
    public void AddScaledMatchesAndMayWriteIntoA()
    {
        var f = Load("vector");
        float alpha = (float)f.F64Scalar("alpha");
        var a = F32(f, "a");
        var output = Zeros(f.Shape("a"));
        Backend.Kernels.AddScaled(a, F32(f, "b"), alpha, output);
        AssertOracle(output.ToFloatArray(), f.F32("add_scaled"), "a + alpha·b");
        Backend.Kernels.AddScaled(a, F32(f, "b"), alpha, a);
        AssertOracle(a.ToFloatArray(), f.F32("add_scaled"), "a += alpha·b in place");
    }

    [Test]
    public void FillSetsEveryElement()
    {
        var t = Floats(Enumerable.Range(0, 37).Select(i => (float)i).ToArray(), 37);
        Backend.Kernels.Fill(t, -2.5f);
        Assert.That(t.ToFloatArray(), Is.All.EqualTo(-2.5f));
    }

    [Test]
    public void SumsMatchFloat64()
    {
        var f = Load("vector");
        var big = F32(f, "big");
        var sum = Zeros(1);
        var squares = Zeros(1);
        Backend.Kernels.Sum(big, (float)f.F64Scalar("sum_scale"), sum);
        Backend.Kernels.SumOfSquares(big, squares);
        AssertOracle(sum.ToFloatArray(), f.F32("sum"), "scaled sum");
        AssertOracle(squares.ToFloatArray(), f.F32("sum_of_squares"), "sum of squares");
    }

    [Test]
    public void MismatchedOperandsAreRefusedByName()
    {
        AssertRefused(() => Backend.Kernels.AddScaled(Zeros(4), Zeros(5), 1f, Zeros(4)), "add-scaled b");
        AssertRefused(() => Backend.Kernels.Sum(Zeros(4), 1f, Zeros(2)), "sum output");
        AssertRefused(() => Backend.Kernels.Fill(Ints([1], 1), 0f), "fill output");
    }
}

/// <summary>ScatterAddRows, the backward of every row gather, against index_add_ with repeated rows.</summary>
public abstract class ScatterAddRowsSuite : GradOracleSuite
{
    [Test]
    public void RepeatedRowsAccumulate()
    {
        var f = Load("scatter_add");
        var target = F32(f, "target");
        Backend.Kernels.ScatterAddRows(F32(f, "source"), I32(f, "rows"), target);
        AssertOracle(target.ToFloatArray(), f.F32("out"), "scatter-add");
    }

    [Test]
    public void ARowOutsideTheTargetIsRefused()
    {
        AssertRefused(() => Backend.Kernels.ScatterAddRows(Zeros(2, 3), Ints([0, 4], 2), Zeros(4, 3)), "rows");
        AssertRefused(() => Backend.Kernels.ScatterAddRows(Zeros(2, 3), Ints([0, 1], 2), Zeros(4, 2)), "scatter-add source");
    }
}
