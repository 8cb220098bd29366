using Clara.Engine.Backends.Cpu.Training;
using Clara.Engine.Tensors;
using Clara.Engine.Training;

namespace Clara.Engine.Diagnostics;

/// <summary>
/// The training ops of <see cref="IKernels"/> against their CPU twins, in gradient mode: every backward op is fed the
/// same random upstream gradient on both backends, and every output the op accumulates into is pre-filled with the
/// same random values, so an op that writes where it should add (or the reverse) fails as surely as a wrong formula.
/// Sizes are awkward on purpose (odd widths, partial tiles, repeated rows, 16-bit weights, GQA groups, padded keys).
/// </summary>
internal static class TrainingKernelChecks
{
    public static IReadOnlyList<KernelCheck> All { get; } =
    [
        new("gemm", b => Gemm(b, DType.F32, 37, 515, 131).Concat(Gemm(b, DType.BF16, 13, 259, 67)).Concat(Gemm(b, DType.F16, 1, 1031, 33))),
        new("add_scaled_fill", b => AddScaledAndFill(b, 1_000_003)),
        new("sum", b => Sums(b, 10_000_019).Concat(Sums(b, 3))),
        new("scatter_add_rows", b => [ScatterAddRows(b, 517, 101, 4099)]),
        new("rmsnorm_backward", b => [RmsNormBackward(b, DType.BF16, 2053, 4099, weightGradient: true), RmsNormBackward(b, DType.F32, 33, 771, weightGradient: true),
                                      RmsNormBackward(b, DType.F16, 3, 4096, weightGradient: false)]),
        new("rope_backward", b => [RopeBackward(b, 67, 5, 34, 1e6f, 4000), RopeBackward(b, 261, 32, 128, 1e6f, 300)]),
        new("swiglu_backward", b => [SwiGluBackward(b, 1_000_003)]),
        new("sequence_attention", b => SequenceAttention(b, new AttentionLayout(2, 77, 0, 6, 2, 40, 1f / MathF.Sqrt(40)), padLeft: 9)
            .Concat(SequenceAttention(b, new AttentionLayout(1, 130, 0, 4, 4, 128, 1f / MathF.Sqrt(128)), padLeft: 0))
            .Concat(SequenceAttention(b, new AttentionLayout(3, 5, 0, 3, 1, 8, 0.35f), padLeft: 3))),
        new("cross_entropy", b => CrossEntropy(b, 19, 32003)),
        new("alignment_loss", b => AlignmentLoss(b, 3, 267, 515)),
        new("cosine_backward", b => [CosineBackward(b, DType.BF16, 37, 32771), CosineBackward(b, DType.F32, 3, 129),
            CosineBackwardCandidates(b, 20, 2048), CosineBackwardCandidates(b, 3, 129)]),
        new("topk_straight_through", b => TopKStraightThrough(b, 3, 47, 5, 0.1f).Concat(TopKStraightThrough(b, 2, 9, 9, 0.02f))),
        new("adamw", b => [AdamWStep(b, 1_000_007)]),
        new("cast", b => Casts(b, 1_000_003)),
    ];

    /// <summary>Every transpose combination, with alpha ≠ 1 and beta = 1 (the gradient-accumulating form).</summary>
    private static IEnumerable<KernelCheckResult> Gemm(CheckBench b, DType storage, int m, int k, int n)
    {
        foreach (var (ta, tb) in new[] { (false, false), (false, true), (true, false), (true, true) })
        {
            var a = b.Floats(b.Normal((long)m * k), ta ? [k, m] : [m, k]);
            var w = b.Floats(b.Normal((long)k * n, 0.05f), tb ? [n, k] : [k, n], storage);
            var output = b.Floats(b.Normal((long)m * n), [m, n]);
            b.Cpu.Kernels.Gemm(a.Cpu, ta, w.Cpu, tb, output.Cpu, 0.5f, 1f);
            b.Device.Kernels.Gemm(a.Device, ta, w.Device, tb, output.Device, 0.5f, 1f);
            yield return new($"gemm {storage} {(ta ? "aᵀ" : "a")}·{(tb ? "bᵀ" : "b")}", $"M={m} K={k} N={n} α=0.5 β=1", CheckBench.Error(output), 1e-5);
        }
    }

    private static IEnumerable<KernelCheckResult> AddScaledAndFill(CheckBench b, int n)
    {
        var a = b.Floats(b.Normal(n), [n]);
        var x = b.Floats(b.Normal(n), [n]);
        // output aliases a, as gradient accumulation uses it.
        b.Cpu.Kernels.AddScaled(a.Cpu, x.Cpu, -0.25f, a.Cpu);
        b.Device.Kernels.AddScaled(a.Device, x.Device, -0.25f, a.Device);
        var gbs = b.Bandwidth(12L * n, () => b.Device.Kernels.AddScaled(a.Device, x.Device, 0f, a.Device));
        yield return new("add_scaled (in place)", $"[{n}]", CheckBench.Error(a), 1e-6, gbs);
        b.Cpu.Kernels.Fill(x.Cpu, 1.5f);
        b.Device.Kernels.Fill(x.Device, 1.5f);
        yield return new("fill", $"[{n}]", CheckBench.Error(x), 0, b.Bandwidth(4L * n, () => b.Device.Kernels.Fill(x.Device, 1.5f)));
    }

    private static IEnumerable<KernelCheckResult> Sums(CheckBench b, int n)
    {
        var x = b.Floats(b.Normal(n, 3f), [n]);
        var sum = b.Zeros(DType.F32, 1);
        var squares = b.Zeros(DType.F32, 1);
        b.Cpu.Kernels.Sum(x.Cpu, 0.5f, sum.Cpu);
        b.Device.Kernels.Sum(x.Device, 0.5f, sum.Device);
        b.Cpu.Kernels.SumOfSquares(x.Cpu, squares.Cpu);
        b.Device.Kernels.SumOfSquares(x.Device, squares.Device);
        // The sum of n centred values is ~√n while its rounding error scales with Σ|x|: compare relative to that scale.
        double scale = 3 * Math.Sqrt(n) + 1;
        double sumError = Math.Abs(CheckBench.Read(sum.Device)[0] - CheckBench.Read(sum.Cpu)[0]) / scale;
        yield return new("sum", $"[{n}] ×0.5", sumError, 1e-5, b.Bandwidth(4L * n, () => b.Device.Kernels.Sum(x.Device, 0.5f, sum.Device)));
        yield return new("sum of squares", $"[{n}]", CheckBench.Error(squares), 1e-5);
    }

    private static KernelCheckResult ScatterAddRows(CheckBench b, int m, int n, int width)
    {
        var source = b.Floats(b.Normal((long)m * width), [m, width]);
        var rows = b.Ints(b.Integers(m, n), m); // m > n: rows repeat
        var target = b.Floats(b.Normal((long)n * width), [n, width]);
        b.Cpu.Kernels.ScatterAddRows(source.Cpu, rows.Cpu, target.Cpu);
        b.Device.Kernels.ScatterAddRows(source.Device, rows.Device, target.Device);
        return new("scatter_add_rows", $"{m} rows into [{n}, {width}] (repeats)", CheckBench.Error(target), 1e-5);
    }

    private static KernelCheckResult RmsNormBackward(CheckBench b, DType storage, int rows, int hidden, bool weightGradient)
    {
        var input = b.Floats(b.Normal((long)rows * hidden, 3f), [rows, hidden]);
        var weight = b.Floats(b.Normal(hidden), [hidden], storage);
        var gradOutput = b.Floats(b.Normal((long)rows * hidden), [rows, hidden]);
        var gradInput = b.Floats(b.Normal((long)rows * hidden), [rows, hidden]); // written over
        var gradWeight = b.Floats(b.Normal(hidden), [hidden]);                      // accumulated into
        b.Cpu.Kernels.RmsNormBackward(input.Cpu, weight.Cpu, 1e-5f, gradOutput.Cpu, gradInput.Cpu, weightGradient ? gradWeight.Cpu : null);
        b.Device.Kernels.RmsNormBackward(input.Device, weight.Device, 1e-5f, gradOutput.Device, gradInput.Device, weightGradient ? gradWeight.Device : null);
        return new($"rmsnorm backward {storage}{(weightGradient ? " +dW" : "")}", $"[{rows}, {hidden}]", CheckBench.Error(gradInput, gradWeight), 1e-5);
    }

    private static KernelCheckResult RopeBackward(CheckBench b, int rows, int heads, int headDim, float theta, int maxPosition)
    {
        var gradOutput = b.Floats(b.Normal((long)rows * heads * headDim), [rows, heads * headDim]);
        var positions = b.Ints(b.Integers(rows, maxPosition), rows);
        var gradInput = b.Zeros(DType.F32, rows, heads * headDim);
        b.Cpu.Kernels.RopeBackward(gradOutput.Cpu, positions.Cpu, headDim, theta, gradInput.Cpu);
        b.Device.Kernels.RopeBackward(gradOutput.Device, positions.Device, headDim, theta, gradInput.Device);
        return new("rope backward", $"[{rows}, {heads}×{headDim}] positions < {maxPosition}", CheckBench.Error(gradInput), 1e-5);
    }

    private static KernelCheckResult SwiGluBackward(CheckBench b, int n)
    {
        var gate = b.Floats(b.Normal(n, 4f), [n]);
        var up = b.Floats(b.Normal(n), [n]);
        var gradOutput = b.Floats(b.Normal(n), [n]);
        var gradGate = b.Zeros(DType.F32, n);
        var gradUp = b.Zeros(DType.F32, n);
        b.Cpu.Kernels.SwiGluBackward(gate.Cpu, up.Cpu, gradOutput.Cpu, gradGate.Cpu, gradUp.Cpu);
        b.Device.Kernels.SwiGluBackward(gate.Device, up.Device, gradOutput.Device, gradGate.Device, gradUp.Device);
        var gbs = b.Bandwidth(20L * n, () => b.Device.Kernels.SwiGluBackward(gate.Device, up.Device, gradOutput.Device, gradGate.Device, gradUp.Device));
        return new("swiglu backward", $"[{n}]", CheckBench.Error(gradGate, gradUp), 1e-6, gbs);
    }

    /// <summary>The forward (output and log-sum-exp), then the backward from the device's own saved tensors on each side.</summary>
    private static IEnumerable<KernelCheckResult> SequenceAttention(CheckBench b, AttentionLayout layout, int padLeft)
    {
        int t = layout.QueryLength, rows = layout.Batch * t;
        int qWidth = layout.Heads * layout.HeadDim, kvWidth = layout.KvHeads * layout.HeadDim;
        var query = b.Floats(b.Normal((long)rows * qWidth), [rows, qWidth]);
        var key = b.Floats(b.Normal((long)rows * kvWidth), [rows, kvWidth]);
        var value = b.Floats(b.Normal((long)rows * kvWidth), [rows, kvWidth]);
        var mask = new int[rows];
        for (int s = 0; s < layout.Batch; s++)
            for (int j = 0; j < t; j++)
                mask[s * t + j] = (s % 2 == 1 && j < padLeft) || b.Random.Next(10) == 0 ? 0 : 1;
        var keyMask = b.Ints(mask, layout.Batch, t);
        var output = b.Zeros(DType.F32, rows, qWidth);
        var lse = b.Zeros(DType.F32, layout.Batch, layout.Heads, t);
        b.Cpu.Kernels.SequenceAttention(query.Cpu, key.Cpu, value.Cpu, keyMask.Cpu, layout, output.Cpu, lse.Cpu);
        b.Device.Kernels.SequenceAttention(query.Device, key.Device, value.Device, keyMask.Device, layout, output.Device, lse.Device);
        string shape = $"b={layout.Batch} T={t} heads={layout.Heads}/{layout.KvHeads} d={layout.HeadDim} pad={padLeft}";
        yield return new("sequence attention forward", shape, CheckBench.Error(output, lse), 1e-5);

        var gradOutput = b.Floats(b.Normal((long)rows * qWidth), [rows, qWidth]);
        var gradQuery = b.Floats(b.Normal((long)rows * qWidth), [rows, qWidth]); // all three are written over
        var gradKey = b.Floats(b.Normal((long)rows * kvWidth), [rows, kvWidth]);
        var gradValue = b.Floats(b.Normal((long)rows * kvWidth), [rows, kvWidth]);
        b.Cpu.Kernels.SequenceAttentionBackward(query.Cpu, key.Cpu, value.Cpu, keyMask.Cpu, layout, output.Cpu, lse.Cpu,
            gradOutput.Cpu, gradQuery.Cpu, gradKey.Cpu, gradValue.Cpu);
        b.Device.Kernels.SequenceAttentionBackward(query.Device, key.Device, value.Device, keyMask.Device, layout, output.Device, lse.Device,
            gradOutput.Device, gradQuery.Device, gradKey.Device, gradValue.Device);
        yield return new("sequence attention backward dQ", shape, CheckBench.Error(gradQuery), 1e-5);
        yield return new("sequence attention backward dK, dV", shape, CheckBench.Error(gradKey, gradValue), 1e-5);
    }

    private static IEnumerable<KernelCheckResult> CrossEntropy(CheckBench b, int rows, int width)
    {
        var targets = b.Integers(rows, width);
        targets[1] = SoftmaxCrossEntropy.DefaultIgnoreIndex;
        var logits = b.Floats(b.Normal((long)rows * width, 4f), [rows, width]);
        var t = b.Ints(targets, rows);
        var losses = b.Zeros(DType.F32, rows);
        var lse = b.Zeros(DType.F32, rows);
        var grad = b.Zeros(DType.F32, rows, width);
        float scale = 1f / SoftmaxCrossEntropy.CountTargets(targets, SoftmaxCrossEntropy.DefaultIgnoreIndex);
        const int ignore = SoftmaxCrossEntropy.DefaultIgnoreIndex;
        b.Cpu.Kernels.CrossEntropy(logits.Cpu, t.Cpu, ignore, losses.Cpu, lse.Cpu);
        b.Device.Kernels.CrossEntropy(logits.Device, t.Device, ignore, losses.Device, lse.Device);
        b.Cpu.Kernels.CrossEntropyBackward(logits.Cpu, t.Cpu, lse.Cpu, ignore, scale, grad.Cpu);
        b.Device.Kernels.CrossEntropyBackward(logits.Device, t.Device, lse.Device, ignore, scale, grad.Device);
        var forwardGbs = b.Bandwidth(4L * rows * width, () => b.Device.Kernels.CrossEntropy(logits.Device, t.Device, ignore, losses.Device, lse.Device));
        var backwardGbs = b.Bandwidth(8L * rows * width, () => b.Device.Kernels.CrossEntropyBackward(logits.Device, t.Device, lse.Device, ignore, scale, grad.Device));
        yield return new("cross-entropy forward", $"[{rows}, {width}]", CheckBench.Error(losses, lse), 1e-5, forwardGbs);
        yield return new("cross-entropy backward", $"[{rows}, {width}]", CheckBench.Error(grad), 1e-5, backwardGbs);
    }

    private static IEnumerable<KernelCheckResult> AlignmentLoss(CheckBench b, int batch, int len, int width)
    {
        var roles = new int[batch * len];
        for (int d = 0; d < batch; d++)
            for (int t = 0; t < len; t++)
                roles[d * len + t] = t >= len - 8 ? (int)MemoryTokenRole.Memory : t < 3 * d ? (int)MemoryTokenRole.Ignored : (int)MemoryTokenRole.Document;
        var hidden = b.Floats(b.Normal((long)batch * len * width), [batch, len, width]);
        var r = b.Ints(roles, batch, len);
        var gradHidden = b.Floats(b.Normal((long)batch * len * width), [batch, len, width]); // accumulated into
        var docMean = b.Zeros(DType.F32, batch, width);
        var memMean = b.Zeros(DType.F32, batch, width);
        var mse = b.Zeros(DType.F32, batch);
        b.Cpu.Kernels.AlignmentLoss(hidden.Cpu, r.Cpu, docMean.Cpu, memMean.Cpu, mse.Cpu);
        b.Device.Kernels.AlignmentLoss(hidden.Device, r.Device, docMean.Device, memMean.Device, mse.Device);
        b.Cpu.Kernels.AlignmentLossBackward(r.Cpu, docMean.Cpu, memMean.Cpu, 0.7f, gradHidden.Cpu);
        b.Device.Kernels.AlignmentLossBackward(r.Device, docMean.Device, memMean.Device, 0.7f, gradHidden.Device);
        string shape = $"[{batch}, {len}, {width}]";
        yield return new("alignment means and mse", shape, CheckBench.Error(docMean, memMean, mse), 1e-5);
        yield return new("alignment backward", shape, CheckBench.Error(gradHidden), 1e-5);
    }

    private static KernelCheckResult CosineBackward(CheckBench b, DType storage, int count, int dim)
    {
        var query = b.Floats(b.Normal(dim), [dim]);
        var candidates = b.Floats(b.Normal((long)count * dim), [count, dim], storage);
        var gradScores = b.Floats(b.Normal(count), [count]);
        var gradQuery = b.Floats(b.Normal(dim, 0.01f), [dim]); // accumulated into
        b.Cpu.Kernels.CosineScoresBackward(query.Cpu, candidates.Cpu, gradScores.Cpu, gradQuery.Cpu);
        b.Device.Kernels.CosineScoresBackward(query.Device, candidates.Device, gradScores.Device, gradQuery.Device);
        return new($"cosine backward {storage}", $"{count} × [{dim}]", CheckBench.Error(gradQuery), 1e-5);
    }

    private static KernelCheckResult CosineBackwardCandidates(CheckBench b, int count, int dim)
    {
        var query = b.Floats(b.Normal(dim), [dim]);
        var candidates = b.Floats(b.Normal((long)count * dim), [count, dim]);
        var gradScores = b.Floats(b.Normal(count), [count]);
        var gradCandidates = b.Floats(b.Normal((long)count * dim, 0.01f), [count, dim]); // accumulated into
        b.Cpu.Kernels.CosineScoresBackwardCandidates(query.Cpu, candidates.Cpu, gradScores.Cpu, gradCandidates.Cpu);
        b.Device.Kernels.CosineScoresBackwardCandidates(query.Device, candidates.Device, gradScores.Device, gradCandidates.Device);
        return new("cosine backward candidates", $"{count} × [{dim}]", CheckBench.Error(gradCandidates), 1e-5);
    }

    private static IEnumerable<KernelCheckResult> TopKStraightThrough(CheckBench b, int batch, int n, int k, float temperature)
    {
        var s = b.Floats(b.Normal((long)batch * n, 0.3f), [batch, n]);
        var gradWeights = b.Floats(b.Normal((long)batch * k * n), [batch, k, n]);
        var hard = b.Zeros(DType.F32, batch, k, n);
        var soft = b.Zeros(DType.F32, batch, k, n);
        var indices = b.Zeros(DType.I32, batch, k);
        var gradScores = b.Zeros(DType.F32, batch, n);
        b.Cpu.Kernels.StraightThroughTopK(s.Cpu, k, temperature, hard.Cpu, soft.Cpu, indices.Cpu);
        b.Device.Kernels.StraightThroughTopK(s.Device, k, temperature, hard.Device, soft.Device, indices.Device);
        b.Cpu.Kernels.StraightThroughTopKBackward(soft.Cpu, gradWeights.Cpu, temperature, gradScores.Cpu);
        b.Device.Kernels.StraightThroughTopKBackward(soft.Device, gradWeights.Device, temperature, gradScores.Device);
        string shape = $"[{batch}, {n}] k={k} τ={temperature}";
        yield return new("top-k straight-through picks", shape, Math.Max(CheckBench.Mismatch(indices), CheckBench.Error(hard)), 0);
        yield return new("top-k straight-through soft", shape, CheckBench.Error(soft), 1e-5);
        yield return new("top-k straight-through backward", shape, CheckBench.Error(gradScores), 1e-4);
    }

    private static KernelCheckResult AdamWStep(CheckBench b, int n)
    {
        var scalars = AdamWScalars.For(new AdamWSettings(LearningRate: 1e-3, WeightDecay: 0.01), 3);
        var p = b.Floats(b.Normal(n), [n]);
        var g = b.Floats(b.Normal(n, 0.1f), [n]);
        var m = b.Floats(b.Normal(n, 0.01f), [n]);
        var v = b.Floats(b.Normal(n, 0.01f).Select(MathF.Abs).ToArray(), [n]);
        b.Cpu.Kernels.AdamWStep(p.Cpu, g.Cpu, m.Cpu, v.Cpu, scalars, 0.75f);
        b.Device.Kernels.AdamWStep(p.Device, g.Device, m.Device, v.Device, scalars, 0.75f);
        double error = CheckBench.Error(p, m, v);
        var gbs = b.Bandwidth(28L * n, () => b.Device.Kernels.AdamWStep(p.Device, g.Device, m.Device, v.Device, scalars, 1f));
        return new("adamw", $"[{n}]", error, 1e-6, gbs);
    }

    /// <summary>Storage casts are CUDA-only (the CPU backend widens while it reads), so they run only where the device has them.</summary>
    private static IEnumerable<KernelCheckResult> Casts(CheckBench b, int n)
    {
        if (b.Cuda is not { } cuda) yield break;
        var values = b.Normal(n, 100f);
        values[0] = float.PositiveInfinity;
        values[1] = 1e6f;          // overflows f16
        values[2] = 1f + 1f / 256; // a bf16 tie
        values[3] = 3e-8f;         // an f16 subnormal
        foreach (var (from, to) in new[] { (DType.F32, DType.BF16), (DType.F32, DType.F16), (DType.BF16, DType.F32), (DType.F16, DType.F32), (DType.BF16, DType.F16), (DType.F16, DType.BF16) })
        {
            var source = b.Floats(values, [n], from);
            var destination = b.Zeros(to, n);
            cuda.Cast(source.Device, destination.Device);
            var sourceBytes = new byte[n * from.SizeOf()];
            b.Cpu.Download(source.Cpu, sourceBytes);
            var expected = new byte[n * to.SizeOf()];
            StorageCast.Convert(from, sourceBytes, to, expected);
            var actual = new byte[expected.Length];
            b.Device.Download(destination.Device, actual);
            double mismatch = actual.SequenceEqual(expected) ? 0 : 1;
            var gbs = b.Bandwidth((long)n * (from.SizeOf() + to.SizeOf()), () => cuda.Cast(source.Device, destination.Device));
            yield return new($"cast {from}→{to}", $"[{n}] bitwise", mismatch, 0, gbs);
        }
    }
}
