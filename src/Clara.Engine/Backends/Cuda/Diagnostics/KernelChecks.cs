using Clara.Engine.Training;
using Clara.Engine.Backends.Cpu.Training;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cuda;

/// <summary>The outcome of one kernel check: the GPU result against its CPU twin on the same inputs.</summary>
public sealed record KernelCheckResult(string Kernel, string Shape, double MaxRelativeError, double Tolerance, double? GigabytesPerSecond = null)
{
    /// <summary>Within tolerance (NaN or ∞ errors fail).</summary>
    public bool Passed => MaxRelativeError <= Tolerance;
}

/// <summary>One named comparison of a CUDA kernel with its CPU twin.</summary>
internal sealed record KernelCheck(string Name, Func<CheckBench, IEnumerable<KernelCheckResult>> Run);

/// <summary>
/// Every CUDA kernel run against its CPU twin on fresh random inputs of awkward sizes (odd widths, counts
/// that are not multiples of a block, 16-bit storage). Used by `clara selftest` and by the GPU tests.
/// Bandwidth-bound kernels are sized large enough to time; their GB/s counts the bytes they must move.
/// </summary>
internal static class KernelChecks
{
    public static IReadOnlyList<KernelCheck> All { get; } =
    [
        new("embedding", b => [Embedding(b, DType.BF16, 1031, 32003, 4097), Embedding(b, DType.F32, 37, 1001, 771), Embedding(b, DType.F16, 37, 1001, 771)]),
        new("rmsnorm", b => [RmsNorm(b, DType.BF16, 2053, 4099), RmsNorm(b, DType.F32, 33, 771), RmsNorm(b, DType.F16, 3, 4096)]),
        new("matmul", b => [MatMul(b, DType.F32, 37, 1031, 515, 1f, 0f, CudaMatMulPrecision.Fp32),
                            MatMul(b, DType.BF16, 13, 1031, 515, 2f, 1f, CudaMatMulPrecision.Fp32),
                            MatMul(b, DType.F16, 1, 4099, 1023, 0.5f, 1f, CudaMatMulPrecision.Fp32),
                            MatMul(b, DType.BF16, 37, 1031, 515, 1f, 0f, CudaMatMulPrecision.TensorCore16Bit),
                            MatMul(b, DType.F16, 1, 4099, 1023, 0.5f, 1f, CudaMatMulPrecision.TensorCore16Bit)]),
        new("rope", b => [Rope(b, 67, 5, 34, 1e6f, 4000), Rope(b, 261, 32, 128, 1e6f, 300)]),
        new("write_cache", b => [WriteCache(b, 3, 7, 5, 29, 129)]),
        new("attention", b => [Attention(b, new AttentionLayout(2, 13, 0, 6, 2, 40, 1f / MathF.Sqrt(40)), 29, padLeft: 4),
                               Attention(b, new AttentionLayout(3, 1, 300, 8, 2, 128, 1f / MathF.Sqrt(128)), 317, padLeft: 9),
                               Attention(b, new AttentionLayout(1, 5, 17, 4, 4, 256, 0.0625f), 23, padLeft: 0),
                               Attention(b, new AttentionLayout(2, 3, 2, 3, 1, 8, 0.35f), 5, padLeft: 3)]),
        new("swiglu", b => [SwiGlu(b, 10_000_019)]),
        new("add", b => [Add(b, 10_000_019)]),
        new("log_softmax", b => [LogSoftmax(b, 33, 32003)]),
        new("gather_scatter", b => [GatherScatter(b, 1029, 4099, 517)]),
        new("cosine", b => CosineRerank(b, DType.BF16, 37, 32771, 5).Concat(CosineRerank(b, DType.F32, 3, 129, 3))),
        new("cross_entropy", b => CrossEntropy(b, 19, 32003)),
        new("topk_straight_through", b => TopKStraightThrough(b, 3, 47, 5, 0.1f).Concat(TopKStraightThrough(b, 2, 9, 9, 0.02f))),
        new("adamw", b => [AdamWStep(b, 1_000_007)]),
        new("memory_alignment", b => MemoryAlignmentLoss(b, 3, 267, 515)),
        new("cast", b => Casts(b, 1_000_003)),
    ];

    private static KernelCheckResult Embedding(CheckBench b, DType storage, int n, int vocab, int hidden)
    {
        var table = b.Floats(b.Normal((long)vocab * hidden), [vocab, hidden], storage);
        var ids = b.Ints(b.Integers(n, vocab), n);
        var output = b.Zeros(DType.F32, n, hidden);
        b.Cpu.Kernels.Embedding(ids.Cpu, table.Cpu, output.Cpu);
        b.Gpu.Kernels.Embedding(ids.Gpu, table.Gpu, output.Gpu);
        double error = CheckBench.Error(output);
        double gbs = b.Bandwidth((long)n * hidden * (storage.SizeOf() + 4), () => b.Gpu.Kernels.Embedding(ids.Gpu, table.Gpu, output.Gpu));
        return new($"embedding {storage}", $"{n} ids of [{vocab}, {hidden}]", error, 0, gbs);
    }

    private static KernelCheckResult RmsNorm(CheckBench b, DType storage, int rows, int hidden)
    {
        var input = b.Floats(b.Normal((long)rows * hidden, 3f), [rows, hidden]);
        var weight = b.Floats(b.Normal(hidden), [hidden], storage);
        var output = b.Zeros(DType.F32, rows, hidden);
        b.Cpu.Kernels.RmsNorm(input.Cpu, weight.Cpu, 1e-5f, output.Cpu);
        b.Gpu.Kernels.RmsNorm(input.Gpu, weight.Gpu, 1e-5f, output.Gpu);
        double error = CheckBench.Error(output);
        double gbs = b.Bandwidth((long)rows * hidden * 8, () => b.Gpu.Kernels.RmsNorm(input.Gpu, weight.Gpu, 1e-5f, output.Gpu));
        return new($"rmsnorm {storage}", $"[{rows}, {hidden}]", error, 1e-5, gbs);
    }

    private static KernelCheckResult MatMul(CheckBench b, DType storage, int m, int k, int n, float alpha, float beta, CudaMatMulPrecision precision)
    {
        var input = b.Floats(b.Normal((long)m * k), [m, k]);
        var weight = b.Floats(b.Normal((long)n * k, 0.05f), [n, k], storage);
        var output = b.Floats(b.Normal((long)m * n), [m, n]);
        b.Cpu.Kernels.MatMul(input.Cpu, weight.Cpu, output.Cpu, alpha, beta);
        b.Gpu.CudaKernels.MatMul(input.Gpu, weight.Gpu, output.Gpu, alpha, beta, precision);
        // Rounding the input to the weight's 16-bit type costs about 2^-9 per product; the fp32 path does not round.
        bool rounds = storage != DType.F32 && precision == CudaMatMulPrecision.TensorCore16Bit;
        return new($"matmul {storage}{(rounds ? " tensor-core" : "")}", $"[{m}, {k}]·[{n}, {k}]ᵀ α={alpha} β={beta}", CheckBench.Error(output), rounds ? 1e-2 : 1e-5);
    }

    private static KernelCheckResult Rope(CheckBench b, int rows, int heads, int headDim, float theta, int maxPosition)
    {
        var input = b.Floats(b.Normal((long)rows * heads * headDim), [rows, heads * headDim]);
        var positions = b.Ints(b.Integers(rows, maxPosition), rows);
        var output = b.Zeros(DType.F32, rows, heads * headDim);
        b.Cpu.Kernels.Rope(input.Cpu, positions.Cpu, headDim, theta, output.Cpu);
        b.Gpu.Kernels.Rope(input.Gpu, positions.Gpu, headDim, theta, output.Gpu);
        double error = CheckBench.Error(output);
        double gbs = b.Bandwidth((long)rows * heads * headDim * 8, () => b.Gpu.Kernels.Rope(input.Gpu, positions.Gpu, headDim, theta, output.Gpu));
        return new("rope", $"[{rows}, {heads}×{headDim}] positions < {maxPosition}", error, 1e-5, gbs);
    }

    private static KernelCheckResult WriteCache(CheckBench b, int batch, int length, int start, int capacity, int width)
    {
        var source = b.Floats(b.Normal((long)batch * length * width), [batch * length, width]);
        var cache = b.Floats(b.Normal((long)batch * capacity * width), [batch, capacity, width]);
        b.Cpu.Kernels.WriteCache(source.Cpu, cache.Cpu, start);
        b.Gpu.Kernels.WriteCache(source.Gpu, cache.Gpu, start);
        return new("write_cache", $"{batch}×{length} rows at {start} of [{batch}, {capacity}, {width}]", CheckBench.Error(cache), 0);
    }

    /// <summary>Random caches with the first <paramref name="padLeft"/> keys of every other sequence masked (left padding) and a few random holes.</summary>
    private static KernelCheckResult Attention(CheckBench b, AttentionLayout layout, int capacity, int padLeft)
    {
        int qWidth = layout.Heads * layout.HeadDim, kvWidth = layout.KvHeads * layout.HeadDim;
        int rows = layout.Batch * layout.QueryLength;
        var query = b.Floats(b.Normal((long)rows * qWidth), [rows, qWidth]);
        var keys = b.Floats(b.Normal((long)layout.Batch * capacity * kvWidth), [layout.Batch, capacity, kvWidth]);
        var values = b.Floats(b.Normal((long)layout.Batch * capacity * kvWidth), [layout.Batch, capacity, kvWidth]);
        var mask = new int[layout.Batch * capacity];
        for (int s = 0; s < layout.Batch; s++)
            for (int j = 0; j < capacity; j++)
                mask[s * capacity + j] = (s % 2 == 1 && j < padLeft) || b.Random.Next(10) == 0 ? 0 : 1;
        var keyMask = b.Ints(mask, layout.Batch, capacity);
        var output = b.Zeros(DType.F32, rows, qWidth);
        b.Cpu.Kernels.Attention(query.Cpu, keys.Cpu, values.Cpu, keyMask.Cpu, layout, output.Cpu);
        b.Gpu.Kernels.Attention(query.Gpu, keys.Gpu, values.Gpu, keyMask.Gpu, layout, output.Gpu);
        string shape = $"b={layout.Batch} q={layout.QueryLength} start={layout.Start} heads={layout.Heads}/{layout.KvHeads} d={layout.HeadDim}";
        return new(layout.QueryLength == 1 ? "attention decode" : "attention prefill", shape, CheckBench.Error(output), 1e-5);
    }

    private static KernelCheckResult SwiGlu(CheckBench b, int n)
    {
        var gate = b.Floats(b.Normal(n, 4f), [n]);
        var up = b.Floats(b.Normal(n), [n]);
        var output = b.Zeros(DType.F32, n);
        b.Cpu.Kernels.SwiGlu(gate.Cpu, up.Cpu, output.Cpu);
        b.Gpu.Kernels.SwiGlu(gate.Gpu, up.Gpu, output.Gpu);
        double error = CheckBench.Error(output);
        double gbs = b.Bandwidth(12L * n, () => b.Gpu.Kernels.SwiGlu(gate.Gpu, up.Gpu, output.Gpu));
        return new("swiglu", $"[{n}]", error, 1e-6, gbs);
    }

    private static KernelCheckResult Add(CheckBench b, int n)
    {
        var x = b.Floats(b.Normal(n), [n]);
        var y = b.Floats(b.Normal(n), [n]);
        var output = b.Zeros(DType.F32, n);
        b.Cpu.Kernels.Add(x.Cpu, y.Cpu, output.Cpu);
        b.Gpu.Kernels.Add(x.Gpu, y.Gpu, output.Gpu);
        double error = CheckBench.Error(output);
        double gbs = b.Bandwidth(12L * n, () => b.Gpu.Kernels.Add(x.Gpu, y.Gpu, output.Gpu));
        return new("add", $"[{n}]", error, 0, gbs);
    }

    private static KernelCheckResult LogSoftmax(CheckBench b, int rows, int width)
    {
        var input = b.Floats(b.Normal((long)rows * width, 5f), [rows, width]);
        var output = b.Zeros(DType.F32, rows, width);
        b.Cpu.Kernels.LogSoftmax(input.Cpu, output.Cpu);
        b.Gpu.Kernels.LogSoftmax(input.Gpu, output.Gpu);
        double error = CheckBench.Error(output);
        double gbs = b.Bandwidth(8L * rows * width, () => b.Gpu.Kernels.LogSoftmax(input.Gpu, output.Gpu));
        return new("log_softmax", $"[{rows}, {width}]", error, 1e-5, gbs);
    }

    private static KernelCheckResult GatherScatter(CheckBench b, int n, int width, int m)
    {
        var input = b.Floats(b.Normal((long)n * width), [n, width]);
        var rows = b.Ints(Enumerable.Range(0, n).OrderBy(_ => b.Random.Next()).Take(m).ToArray(), m);
        var gathered = b.Zeros(DType.F32, m, width);
        b.Cpu.Kernels.GatherRows(input.Cpu, rows.Cpu, gathered.Cpu);
        b.Gpu.Kernels.GatherRows(input.Gpu, rows.Gpu, gathered.Gpu);
        var target = b.Floats(b.Normal((long)n * width), [n, width]);
        b.Cpu.Kernels.ScatterRows(gathered.Cpu, rows.Cpu, target.Cpu);
        b.Gpu.Kernels.ScatterRows(gathered.Gpu, rows.Gpu, target.Gpu);
        double error = Math.Max(CheckBench.Error(gathered), CheckBench.Error(target));
        double gbs = b.Bandwidth(8L * m * width, () => b.Gpu.Kernels.GatherRows(input.Gpu, rows.Gpu, gathered.Gpu));
        return new("gather/scatter rows", $"{m} of [{n}, {width}]", error, 0, gbs);
    }

    private static IEnumerable<KernelCheckResult> CosineRerank(CheckBench b, DType storage, int count, int dim, int k)
    {
        var query = b.Floats(b.Normal(dim), [dim]);
        var candidates = b.Floats(b.Normal((long)count * dim), [count, dim], storage);
        var scores = b.Zeros(DType.F32, count);
        var topk = b.Zeros(DType.I32, k);
        b.Cpu.Kernels.CosineScores(query.Cpu, candidates.Cpu, scores.Cpu);
        b.Gpu.CudaKernels.CosineTopK(query.Gpu, candidates.Gpu, k, scores.Gpu, topk.Gpu);
        var expectedOrder = CheckBench.Read(scores.Cpu).Select((s, i) => (s, i)).OrderByDescending(p => p.s).ThenBy(p => p.i).Take(k).Select(p => p.i).ToArray();
        var picked = topk.Gpu.ToIntArray();
        double gbs = b.Bandwidth((long)count * dim * storage.SizeOf() + 4L * dim,
            () => b.Gpu.CudaKernels.CosineTopK(query.Gpu, candidates.Gpu, k, scores.Gpu, topk.Gpu));
        yield return new($"cosine scores {storage}", $"{count} × [{dim}]", CheckBench.Error(scores), 1e-5, gbs);
        yield return new("cosine top-k", $"k={k} of {count}", picked.SequenceEqual(expectedOrder) ? 0 : 1, 0);
    }

    private static IEnumerable<KernelCheckResult> CrossEntropy(CheckBench b, int rows, int width)
    {
        var logits = b.Normal((long)rows * width, 4f);
        var targets = b.Integers(rows, width);
        targets[1] = SoftmaxCrossEntropy.DefaultIgnoreIndex;
        var x = b.Floats(logits, [rows, width]);
        var t = b.Ints(targets, rows);
        var losses = b.Zeros(DType.F32, rows);
        var lse = b.Zeros(DType.F32, rows);
        var grad = b.Zeros(DType.F32, rows, width);
        float scale = 1f / SoftmaxCrossEntropy.CountTargets(targets, SoftmaxCrossEntropy.DefaultIgnoreIndex);
        b.Gpu.Training.CrossEntropyForward(x.Gpu, t.Gpu, losses.Gpu, lse.Gpu);
        b.Gpu.Training.CrossEntropyBackward(x.Gpu, t.Gpu, lse.Gpu, scale, grad.Gpu);
        var expectedLosses = new float[rows];
        var expectedLse = new float[rows];
        var expectedGrad = new float[logits.Length];
        SoftmaxCrossEntropy.Forward(logits, targets, width, SoftmaxCrossEntropy.DefaultIgnoreIndex, expectedLosses, expectedLse);
        SoftmaxCrossEntropy.Backward(logits, targets, expectedLse, width, SoftmaxCrossEntropy.DefaultIgnoreIndex, scale, expectedGrad);
        double forwardGbs = b.Bandwidth(4L * rows * width, () => b.Gpu.Training.CrossEntropyForward(x.Gpu, t.Gpu, losses.Gpu, lse.Gpu));
        double backwardGbs = b.Bandwidth(8L * rows * width, () => b.Gpu.Training.CrossEntropyBackward(x.Gpu, t.Gpu, lse.Gpu, scale, grad.Gpu));
        yield return new("cross-entropy forward", $"[{rows}, {width}]",
            Math.Max(CheckBench.MaxRelativeError(CheckBench.Read(losses.Gpu), expectedLosses), CheckBench.MaxRelativeError(CheckBench.Read(lse.Gpu), expectedLse)), 1e-5, forwardGbs);
        yield return new("cross-entropy backward", $"[{rows}, {width}]", CheckBench.MaxRelativeError(CheckBench.Read(grad.Gpu), expectedGrad), 1e-5, backwardGbs);
    }

    private static IEnumerable<KernelCheckResult> TopKStraightThrough(CheckBench b, int batch, int n, int k, float temperature)
    {
        var scores = b.Normal((long)batch * n, 0.3f);
        var upstream = b.Normal((long)batch * k * n);
        var s = b.Floats(scores, [batch, n]);
        var gw = b.Floats(upstream, [batch, k, n]);
        var hard = b.Zeros(DType.F32, batch, k, n);
        var soft = b.Zeros(DType.F32, batch, k, n);
        var indices = b.Zeros(DType.I32, batch, k);
        var ds = b.Zeros(DType.F32, batch, n);
        b.Gpu.Training.TopKForward(s.Gpu, k, temperature, hard.Gpu, soft.Gpu, indices.Gpu);
        b.Gpu.Training.TopKBackward(soft.Gpu, gw.Gpu, k, temperature, ds.Gpu);
        var expectedHard = new float[batch * k * n];
        var expectedSoft = new float[batch * k * n];
        var expectedIndices = new int[batch * k];
        var expectedGrad = new float[batch * n];
        StraightThroughTopK.Forward(scores, n, k, temperature, expectedHard, expectedSoft, expectedIndices);
        StraightThroughTopK.Backward(expectedSoft, upstream, n, k, temperature, expectedGrad);
        bool picksAgree = indices.Gpu.ToIntArray().SequenceEqual(expectedIndices) && CheckBench.Read(hard.Gpu).SequenceEqual(expectedHard);
        string shape = $"[{batch}, {n}] k={k} τ={temperature}";
        yield return new("top-k straight-through picks", shape, picksAgree ? 0 : 1, 0);
        yield return new("top-k straight-through soft", shape, CheckBench.MaxRelativeError(CheckBench.Read(soft.Gpu), expectedSoft), 1e-5);
        yield return new("top-k straight-through backward", shape, CheckBench.MaxRelativeError(CheckBench.Read(ds.Gpu), expectedGrad), 1e-4);
    }

    private static KernelCheckResult AdamWStep(CheckBench b, int n)
    {
        var settings = new AdamWSettings(LearningRate: 1e-3, WeightDecay: 0.01);
        var param = b.Normal(n);
        var grad = b.Normal(n, 0.1f);
        var m = b.Normal(n, 0.01f);
        var v = b.Normal(n, 0.01f).Select(MathF.Abs).ToArray();
        var p = b.Floats(param, [n]);
        var g = b.Floats(grad, [n]);
        var mg = b.Floats(m, [n]);
        var vg = b.Floats(v, [n]);
        var scalars = AdamWScalars.For(settings, 3);
        b.Gpu.Training.AdamWStep(p.Gpu, g.Gpu, mg.Gpu, vg.Gpu, scalars, gradScale: 0.75f);
        AdamW.Step(param, grad, m, v, scalars, gradScale: 0.75f);
        double error = Math.Max(CheckBench.MaxRelativeError(CheckBench.Read(p.Gpu), param),
            Math.Max(CheckBench.MaxRelativeError(CheckBench.Read(mg.Gpu), m), CheckBench.MaxRelativeError(CheckBench.Read(vg.Gpu), v)));
        double gbs = b.Bandwidth(28L * n, () => b.Gpu.Training.AdamWStep(p.Gpu, g.Gpu, mg.Gpu, vg.Gpu, scalars));
        return new("adamw", $"[{n}]", error, 1e-6, gbs);
    }

    private static IEnumerable<KernelCheckResult> MemoryAlignmentLoss(CheckBench b, int batch, int len, int width)
    {
        var hidden = b.Normal((long)batch * len * width);
        var roles = new int[batch * len];
        for (int d = 0; d < batch; d++)
            for (int t = 0; t < len; t++)
                roles[d * len + t] = t >= len - 8 ? (int)MemoryTokenRole.Memory : t < 3 * d ? (int)MemoryTokenRole.Ignored : (int)MemoryTokenRole.Document;
        const float gradScale = 0.7f;
        var gradMse = Enumerable.Repeat(gradScale, batch).ToArray();
        var gradHidden = b.Normal((long)batch * len * width);
        var h = b.Floats(hidden, [batch, len, width]);
        var r = b.Ints(roles, batch, len);
        var gh = b.Floats(gradHidden, [batch, len, width]);
        var docMean = b.Zeros(DType.F32, batch, width);
        var memMean = b.Zeros(DType.F32, batch, width);
        var mse = b.Zeros(DType.F32, batch);
        b.Gpu.Training.MemoryMeans(h.Gpu, r.Gpu, docMean.Gpu, memMean.Gpu);
        b.Gpu.Training.MemoryMse(docMean.Gpu, memMean.Gpu, mse.Gpu);
        b.Gpu.Training.MemoryMseBackward(r.Gpu, docMean.Gpu, memMean.Gpu, gradScale, gh.Gpu);
        var expectedDoc = new float[batch * width];
        var expectedMem = new float[batch * width];
        var expectedMse = new float[batch];
        MemoryAlignment.Means(hidden, roles, len, width, expectedDoc, expectedMem);
        MemoryAlignment.Mse(expectedDoc, expectedMem, width, expectedMse);
        MemoryAlignment.MseBackward(roles, expectedDoc, expectedMem, gradMse, len, width, gradHidden);
        string shape = $"[{batch}, {len}, {width}]";
        yield return new("alignment means", shape, Math.Max(CheckBench.MaxRelativeError(CheckBench.Read(docMean.Gpu), expectedDoc),
            CheckBench.MaxRelativeError(CheckBench.Read(memMean.Gpu), expectedMem)), 1e-5);
        yield return new("alignment mse", shape, CheckBench.MaxRelativeError(CheckBench.Read(mse.Gpu), expectedMse), 1e-5);
        yield return new("alignment backward", shape, CheckBench.MaxRelativeError(CheckBench.Read(gh.Gpu), gradHidden), 1e-5);
    }

    private static IEnumerable<KernelCheckResult> Casts(CheckBench b, int n)
    {
        var values = b.Normal(n, 100f);
        values[0] = float.PositiveInfinity;
        values[1] = 1e6f;          // overflows f16
        values[2] = 1f + 1f / 256; // a bf16 tie
        values[3] = 3e-8f;         // an f16 subnormal
        foreach (var (from, to) in new[] { (DType.F32, DType.BF16), (DType.F32, DType.F16), (DType.BF16, DType.F32), (DType.F16, DType.F32), (DType.BF16, DType.F16), (DType.F16, DType.BF16) })
        {
            var source = b.Floats(values, [n], from);
            var destination = b.Zeros(to, n);
            b.Gpu.Training.Cast(source.Gpu, destination.Gpu);
            var sourceBytes = new byte[n * from.SizeOf()];
            b.Cpu.Download(source.Cpu, sourceBytes);
            var expected = new byte[n * to.SizeOf()];
            StorageCast.Convert(from, sourceBytes, to, expected);
            var actual = new byte[expected.Length];
            b.Gpu.Download(destination.Gpu, actual);
            double mismatch = actual.SequenceEqual(expected) ? 0 : 1;
            double gbs = b.Bandwidth((long)n * (from.SizeOf() + to.SizeOf()), () => b.Gpu.Training.Cast(source.Gpu, destination.Gpu));
            yield return new($"cast {from}→{to}", $"[{n}] bitwise", mismatch, 0, gbs);
        }
    }
}
