using Clara.Engine.Backends;
using Clara.Engine.Tensors;
using Clara.Engine.Tests.Support;
using NUnit.Framework;

namespace Clara.Engine.Tests.Kernels.Grad;

/// <summary>
/// Training attention (causal, GQA, left padding) and its backward against PyTorch autograd, plus finite differences
/// of the forward kernel as a second witness for dQ, dK and dV.
/// </summary>
public abstract class SequenceAttentionSuite : GradOracleSuite
{
    public static readonly string[] Cases = ["gqa2_padded", "mha", "gqa4_long"];

    private sealed record Operands(Tensor Query, Tensor Key, Tensor Value, Tensor Mask, AttentionLayout Layout, int[] QueryShape, int[] KvShape);

    private Operands Open(KernelFixture f, string name)
    {
        var l = LayoutDims(f, name);
        var layout = new AttentionLayout(l[0], l[1], 0, l[2], l[3], l[4], (float)f.F64Scalar($"{name}.scale"));
        return new Operands(F32(f, $"{name}.query"), F32(f, $"{name}.key"), F32(f, $"{name}.value"), I32(f, $"{name}.mask"), layout,
            f.Shape($"{name}.query"), f.Shape($"{name}.key"));
    }

    /// <summary>[batch, T, heads, kvHeads, headDim], stored as I64.</summary>
    private static int[] LayoutDims(KernelFixture f, string name) =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(f.Bytes($"{name}.layout", "I64")).ToArray().Select(checked(v => (int)v)).ToArray();

    [TestCaseSource(nameof(Cases))]
    public void ForwardMatchesAutogradReference(string name)
    {
        var f = Load("sequence_attention");
        var o = Open(f, name);
        var output = Zeros(o.QueryShape);
        var lse = Zeros(f.Shape($"{name}.lse"));
        Backend.Kernels.SequenceAttention(o.Query, o.Key, o.Value, o.Mask, o.Layout, output, lse);
        var mask = f.I32($"{name}.mask");
        int t = o.Layout.QueryLength, heads = o.Layout.Heads;
        AssertOracle(output.ToFloatArray(), f.F32($"{name}.output"), $"{name} output", i => mask[i / o.QueryShape[1]] == 0);
        // logSumExp is [batch, heads, T]: entry i is position i % T of sequence i / (heads·T).
        AssertOracle(lse.ToFloatArray(), f.F32($"{name}.lse"), $"{name} log-sum-exp", i => mask[i / (heads * t) * t + i % t] == 0);
    }

    [TestCaseSource(nameof(Cases))]
    public void BackwardMatchesAutograd(string name)
    {
        var f = Load("sequence_attention");
        var o = Open(f, name);
        // The backward reads what this backend's forward saved, as in training (PyTorch's own log-sum-exp differs in the
        // last bit, which would turn the exact zero gradient of a query that sees a single key into rounding noise).
        var output = Zeros(o.QueryShape);
        var lse = Zeros(f.Shape($"{name}.lse"));
        Backend.Kernels.SequenceAttention(o.Query, o.Key, o.Value, o.Mask, o.Layout, output, lse);
        var gradQuery = Zeros(o.QueryShape);
        var gradKey = Zeros(o.KvShape);
        var gradValue = Zeros(o.KvShape);
        Backend.Kernels.SequenceAttentionBackward(o.Query, o.Key, o.Value, o.Mask, o.Layout, output, lse,
            F32(f, $"{name}.grad_out"), gradQuery, gradKey, gradValue);
        // Structural zeros: every gradient row of a padded position (its query sees no key, and no query sees its key).
        // Elsewhere an exact 0 of autograd (a query that sees a single key) is only rounding-close here.
        var mask = f.I32($"{name}.mask");
        Func<int, bool> Padded(int width) => i => mask[i / width] == 0;
        AssertOracle(gradQuery.ToFloatArray(), f.F32($"{name}.grad_query"), $"{name} dQ", Padded(o.QueryShape[1]));
        AssertOracle(gradKey.ToFloatArray(), f.F32($"{name}.grad_key"), $"{name} dK (GQA group summed)", Padded(o.KvShape[1]));
        AssertOracle(gradValue.ToFloatArray(), f.F32($"{name}.grad_value"), $"{name} dV (GQA group summed)", Padded(o.KvShape[1]));
    }

    [Test]
    public void GradientsMatchFiniteDifferencesOfTheForward()
    {
        var f = Load("sequence_attention");
        const string name = "gqa2_padded";
        var o = Open(f, name);
        var upstream = f.F32($"{name}.grad_out");
        var output = Zeros(o.QueryShape);
        var lse = Zeros(f.Shape($"{name}.lse"));
        Backend.Kernels.SequenceAttention(o.Query, o.Key, o.Value, o.Mask, o.Layout, output, lse);
        var gradQuery = Zeros(o.QueryShape);
        var gradKey = Zeros(o.KvShape);
        var gradValue = Zeros(o.KvShape);
        Backend.Kernels.SequenceAttentionBackward(o.Query, o.Key, o.Value, o.Mask, o.Layout, output, lse, Floats(upstream, o.QueryShape),
            gradQuery, gradKey, gradValue);

        double Loss(Tensor q, Tensor k, Tensor v)
        {
            var y = Zeros(o.QueryShape);
            Backend.Kernels.SequenceAttention(q, k, v, o.Mask, o.Layout, y, Zeros(f.Shape($"{name}.lse")));
            return FiniteDifference.Dot(y.ToFloatArray(), upstream);
        }
        FiniteDifference.AssertMatches(x => Loss(Floats(x, o.QueryShape), o.Key, o.Value), f.F32($"{name}.query"), gradQuery.ToFloatArray(), "attention dQ");
        FiniteDifference.AssertMatches(x => Loss(o.Query, Floats(x, o.KvShape), o.Value), f.F32($"{name}.key"), gradKey.ToFloatArray(), "attention dK");
        FiniteDifference.AssertMatches(x => Loss(o.Query, o.Key, Floats(x, o.KvShape)), f.F32($"{name}.value"), gradValue.ToFloatArray(), "attention dV");
    }

    [Test]
    public void ItAgreesWithTheCachedAttentionOnUnpaddedSequences()
    {
        // The inference kernel is an independent implementation of the same forward: with the keys written to a cache
        // whose capacity is T, both must give the same output.
        var f = Load("sequence_attention");
        const string name = "mha";
        var o = Open(f, name);
        int t = o.Layout.QueryLength, width = o.KvShape[1];
        var keys = Zeros(o.Layout.Batch, t, width);
        var values = Zeros(o.Layout.Batch, t, width);
        Backend.Kernels.WriteCache(o.Key, keys, 0);
        Backend.Kernels.WriteCache(o.Value, values, 0);
        var cached = Zeros(o.QueryShape);
        Backend.Kernels.Attention(o.Query, keys, values, o.Mask, o.Layout, cached);
        var output = Zeros(o.QueryShape);
        Backend.Kernels.SequenceAttention(o.Query, o.Key, o.Value, o.Mask, o.Layout, output, Zeros(f.Shape($"{name}.lse")));
        Compare.AssertClose(output.ToFloatArray(), cached.ToFloatArray(), Tolerance, "sequence vs cached attention");
    }

    [Test]
    public void ALayoutThatDoesNotStartAtZeroOrMismatchedOperandsAreRefused()
    {
        var layout = new AttentionLayout(1, 4, 0, 2, 1, 8, 0.35f);
        var mask = Ints([1, 1, 1, 1], 1, 4);
        AssertRefused(() => Backend.Kernels.SequenceAttention(Zeros(4, 16), Zeros(4, 8), Zeros(4, 8), mask, layout with { Start = 1 }, Zeros(4, 16), Zeros(1, 2, 4)), "start at 0");
        AssertRefused(() => Backend.Kernels.SequenceAttention(Zeros(4, 16), Zeros(4, 16), Zeros(4, 8), mask, layout, Zeros(4, 16), Zeros(1, 2, 4)), "sequence-attention key");
        AssertRefused(() => Backend.Kernels.SequenceAttention(Zeros(4, 16), Zeros(4, 8), Zeros(4, 8), mask, layout, Zeros(4, 16), Zeros(1, 4)), "logSumExp");
        AssertRefused(() => Backend.Kernels.SequenceAttentionBackward(Zeros(4, 16), Zeros(4, 8), Zeros(4, 8), mask, layout, Zeros(4, 16), Zeros(1, 2, 4),
            Zeros(4, 16), Zeros(4, 16), Zeros(4, 16), Zeros(4, 8)), "gradKey");
    }
}
