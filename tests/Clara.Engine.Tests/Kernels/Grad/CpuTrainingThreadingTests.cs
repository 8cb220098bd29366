using Clara.Engine.Backends;
using Clara.Engine.Backends.Cpu;
using Clara.Engine.Tensors;
using Clara.Engine.Training;
using Clara.Engine.Tests.Support;
using NUnit.Framework;

namespace Clara.Engine.Tests.Kernels.Grad;

/// <summary>
/// The oracle fixtures are small, so the CPU twins run them on one thread. These cases are large enough for every
/// split of the worker team (transposes, row and column splits, attention tasks, loss rows, optimizer ranges) and
/// check that four threads give what one thread gives: bit for bit wherever the split does not change the order of
/// any sum, and to fp32 rounding for the RMSNorm weight gradient, whose per-thread partial sums are added at the end.
/// The forward's row and element ops are split too (a training step's activations are millions of values), and must
/// give the same bits as the inference path always did on one thread.
/// </summary>
public class CpuTrainingThreadingTests
{
    /// <summary>Runs <paramref name="op"/> on a fresh backend with the given thread count and returns its outputs.</summary>
    private static float[][] Run(int threads, Func<IBackend, Tensor[]> op)
    {
        using var backend = new CpuBackend(threads);
        var outputs = op(backend);
        var result = outputs.Select(t => t.ToFloatArray()).ToArray();
        foreach (var t in outputs) t.Buffer.Dispose();
        return result;
    }

    private static void AssertSameOnOneAndFourThreads(Func<IBackend, Tensor[]> op, string what)
    {
        var serial = Run(1, op);
        var parallel = Run(4, op);
        for (int i = 0; i < serial.Length; i++) Assert.That(parallel[i], Is.EqualTo(serial[i]), $"{what}: output {i}");
    }

    private static Tensor F(IBackend b, int seed, params int[] dims) => Tensor.FromFloats(b, RandomValues.Uniform((int)new Shape(dims).ElementCount, seed), dims);

    [TestCase(false, false, 300, 256, 300)]
    [TestCase(false, true, 300, 256, 300)]
    [TestCase(true, false, 300, 256, 300)]
    [TestCase(true, true, 300, 256, 300)]
    [TestCase(true, false, 8, 1024, 512)]   // few rows, b as stored: column split
    [TestCase(false, false, 600, 16, 300)]  // few columns, b as stored: row split
    public void GemmSplitsDoNotChangeTheProduct(bool ta, bool tb, int m, int n, int k) =>
        AssertSameOnOneAndFourThreads(b =>
        {
            var output = F(b, 3, m, n);
            b.Kernels.Gemm(F(b, 1, ta ? [k, m] : [m, k]), ta, F(b, 2, tb ? [n, k] : [k, n]), tb, output, 0.5f, 1f);
            return [output];
        }, $"gemm {(ta ? 't' : 'n')}{(tb ? 't' : 'n')} {m}x{n}x{k}");

    [Test]
    public void AttentionTasksDoNotChangeTheResult()
    {
        var layout = new AttentionLayout(2, 96, 0, 8, 2, 32, 0.17f);
        int rows = layout.Batch * layout.QueryLength;
        AssertSameOnOneAndFourThreads(b =>
        {
            var mask = Tensor.FromInts(b, Enumerable.Range(0, rows).Select(i => i < 5 ? 0 : 1).ToArray(), layout.Batch, layout.QueryLength);
            var (q, key, value) = (F(b, 1, rows, 256), F(b, 2, rows, 64), F(b, 3, rows, 64));
            var output = F(b, 4, rows, 256);
            var lse = F(b, 5, layout.Batch, layout.Heads, layout.QueryLength);
            b.Kernels.SequenceAttention(q, key, value, mask, layout, output, lse);
            var (dq, dk, dv) = (F(b, 6, rows, 256), F(b, 7, rows, 64), F(b, 8, rows, 64));
            b.Kernels.SequenceAttentionBackward(q, key, value, mask, layout, output, lse, F(b, 9, rows, 256), dq, dk, dv);
            return [output, lse, dq, dk, dv];
        }, "sequence attention");
    }

    [Test]
    public void DecodeAttentionSplitDoesNotChangeTheResult()
    {
        // One new query per sequence against 300 cached positions, some masked: enough cache reads to split the
        // (sequence, KV head) tasks over the workers.
        const int capacity = 300;
        var layout = new AttentionLayout(2, 1, capacity - 1, 8, 2, 64, 0.125f);
        // Without 256-bit vectors (the SIMD-width runs) the general kernel runs instead, and is compared the same way.
        if (CpuDecodeAttention.Supports(layout))
            Assert.That(CpuDecodeAttention.Work(layout), Is.GreaterThan(4.0 * (1 << 18)), "large enough for four parts");
        AssertSameOnOneAndFourThreads(b =>
        {
            var mask = Tensor.FromInts(b, Enumerable.Range(0, 2 * capacity).Select(i => i % 97 == 3 ? 0 : 1).ToArray(), 2, capacity);
            var output = F(b, 4, 2, 8 * 64);
            b.Kernels.Attention(F(b, 1, 2, 8 * 64), F(b, 2, 2, capacity, 2 * 64), F(b, 3, 2, capacity, 2 * 64), mask, layout, output);
            return [output];
        }, "decode attention");
    }

    [Test]
    public void LossAndOptimizerRangesDoNotChangeTheResult() =>
        AssertSameOnOneAndFourThreads(b =>
        {
            const int rows = 64, vocab = 5003, n = 100_003;
            var logits = F(b, 1, rows, vocab);
            var targets = Tensor.FromInts(b, Enumerable.Range(0, rows).Select(i => i % 7 == 0 ? -100 : i * 31 % vocab).ToArray(), rows);
            var (losses, lse, grad) = (F(b, 2, rows), F(b, 3, rows), F(b, 4, rows, vocab));
            b.Kernels.CrossEntropy(logits, targets, -100, losses, lse);
            b.Kernels.CrossEntropyBackward(logits, targets, lse, -100, 0.01f, grad);
            var (p, m, v) = (F(b, 5, n), F(b, 6, n), F(b, 7, n));
            b.Kernels.Fill(v, 0.25f);
            b.Kernels.AdamWStep(p, F(b, 8, n), m, v, AdamWScalars.For(new AdamWSettings(1e-3), 5), 0.5f);
            var (gate, up) = (F(b, 9, n), F(b, 10, n));
            var (dGate, dUp) = (F(b, 11, n), F(b, 12, n));
            b.Kernels.SwiGluBackward(gate, up, F(b, 13, n), dGate, dUp);
            return [losses, lse, grad, p, m, v, dGate, dUp];
        }, "cross-entropy, AdamW, SwiGLU backward");

    /// <summary>
    /// The row and element splits of the forward ops and of RoPE's backward, on sizes whose ranges end inside a chunk
    /// and a vector: positions dense (the angle table) and sparse (angles per row).
    /// </summary>
    [TestCase(true)]
    [TestCase(false)]
    public void ElementwiseAndRowSplitsDoNotChangeTheResult(bool densePositions) =>
        AssertSameOnOneAndFourThreads(b =>
        {
            const int rows = 1203, hidden = 256, headDim = 32, n = 1_100_017;   // n: four parts even for add (one unit of work an element)
            var positions = Tensor.FromInts(b, Enumerable.Range(0, rows).Select(i => densePositions ? i % 97 : i * 7919 % 100_003).ToArray(), rows);
            var x = F(b, 1, rows, hidden);
            var (normed, rotated, rotatedBack) = (F(b, 2, rows, hidden), F(b, 3, rows, hidden), F(b, 4, rows, hidden));
            b.Kernels.RmsNorm(x, F(b, 5, hidden), 1e-5f, normed);
            b.Kernels.Rope(x, positions, headDim, 10000f, rotated);
            b.Kernels.RopeBackward(x, positions, headDim, 10000f, rotatedBack);
            var (gate, up) = (F(b, 6, n), F(b, 7, n));
            var (swiglu, sum, scaled) = (F(b, 8, n), F(b, 9, n), F(b, 10, n));
            b.Kernels.SwiGlu(gate, up, swiglu);
            b.Kernels.Add(gate, up, sum);
            b.Kernels.AddScaled(gate, up, -0.37f, scaled);
            return [normed, rotated, rotatedBack, swiglu, sum, scaled];
        }, $"rmsnorm, rope, rope backward ({(densePositions ? "dense" : "sparse")} positions), swiglu, add, add-scaled");

    [Test]
    public void RmsNormBackwardPartsAgreeToRounding()
    {
        float[][] Op(int threads) => Run(threads, b =>
        {
            var gradInput = F(b, 1, 512, 96);
            var gradWeight = F(b, 2, 96);
            b.Kernels.RmsNormBackward(F(b, 3, 512, 96), F(b, 4, 96), 1e-5f, F(b, 5, 512, 96), gradInput, gradWeight);
            return [gradInput, gradWeight];
        });
        var serial = Op(1);
        var parallel = Op(4);
        Assert.That(parallel[0], Is.EqualTo(serial[0]), "input gradient, row by row");
        Support.Compare.AssertClose(parallel[1], serial[1], 1e-6, "weight gradient, partial sums per thread");
    }
}
