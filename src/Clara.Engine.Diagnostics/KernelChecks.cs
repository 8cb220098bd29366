using Clara.Engine.Tensors;

namespace Clara.Engine.Diagnostics;

/// <summary>The outcome of one kernel check: the GPU result against its CPU twin on the same inputs.</summary>
public sealed record KernelCheckResult(string Kernel, string Shape, double MaxRelativeError, double Tolerance, double? GigabytesPerSecond = null)
{
    /// <summary>Within tolerance (NaN or ∞ errors fail).</summary>
    public bool Passed => MaxRelativeError <= Tolerance;
}

/// <summary>One named comparison of a CUDA kernel with its CPU twin.</summary>
internal sealed record KernelCheck(string Name, Func<CheckBench, IEnumerable<KernelCheckResult>> Run);

/// <summary>
/// Every kernel of the backend under test (CUDA in practice) run against its CPU twin on fresh random inputs of awkward sizes (odd widths, counts
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
        new("cosine", b => [CosineRerank(b, DType.BF16, 37, 32771), CosineRerank(b, DType.F32, 3, 129)]),
        .. TrainingKernelChecks.All,
    ];

    private static KernelCheckResult Embedding(CheckBench b, DType storage, int n, int vocab, int hidden)
    {
        var table = b.Floats(b.Normal((long)vocab * hidden), [vocab, hidden], storage);
        var ids = b.Ints(b.Integers(n, vocab), n);
        var output = b.Zeros(DType.F32, n, hidden);
        b.Cpu.Kernels.Embedding(ids.Cpu, table.Cpu, output.Cpu);
        b.Device.Kernels.Embedding(ids.Device, table.Device, output.Device);
        double error = CheckBench.Error(output);
        var gbs = b.Bandwidth((long)n * hidden * (storage.SizeOf() + 4), () => b.Device.Kernels.Embedding(ids.Device, table.Device, output.Device));
        return new($"embedding {storage}", $"{n} ids of [{vocab}, {hidden}]", error, 0, gbs);
    }

    private static KernelCheckResult RmsNorm(CheckBench b, DType storage, int rows, int hidden)
    {
        var input = b.Floats(b.Normal((long)rows * hidden, 3f), [rows, hidden]);
        var weight = b.Floats(b.Normal(hidden), [hidden], storage);
        var output = b.Zeros(DType.F32, rows, hidden);
        b.Cpu.Kernels.RmsNorm(input.Cpu, weight.Cpu, 1e-5f, output.Cpu);
        b.Device.Kernels.RmsNorm(input.Device, weight.Device, 1e-5f, output.Device);
        double error = CheckBench.Error(output);
        var gbs = b.Bandwidth((long)rows * hidden * 8, () => b.Device.Kernels.RmsNorm(input.Device, weight.Device, 1e-5f, output.Device));
        return new($"rmsnorm {storage}", $"[{rows}, {hidden}]", error, 1e-5, gbs);
    }

    private static KernelCheckResult MatMul(CheckBench b, DType storage, int m, int k, int n, float alpha, float beta, CudaMatMulPrecision precision)
    {
        var input = b.Floats(b.Normal((long)m * k), [m, k]);
        var weight = b.Floats(b.Normal((long)n * k, 0.05f), [n, k], storage);
        var output = b.Floats(b.Normal((long)m * n), [m, n]);
        b.Cpu.Kernels.MatMul(input.Cpu, weight.Cpu, output.Cpu, alpha, beta);
        if (b.Cuda is { } cuda) cuda.MatMul(input.Device, weight.Device, output.Device, alpha, beta, precision);
        else b.Device.Kernels.MatMul(input.Device, weight.Device, output.Device, alpha, beta);
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
        b.Device.Kernels.Rope(input.Device, positions.Device, headDim, theta, output.Device);
        double error = CheckBench.Error(output);
        var gbs = b.Bandwidth((long)rows * heads * headDim * 8, () => b.Device.Kernels.Rope(input.Device, positions.Device, headDim, theta, output.Device));
        return new("rope", $"[{rows}, {heads}×{headDim}] positions < {maxPosition}", error, 1e-5, gbs);
    }

    private static KernelCheckResult WriteCache(CheckBench b, int batch, int length, int start, int capacity, int width)
    {
        var source = b.Floats(b.Normal((long)batch * length * width), [batch * length, width]);
        var cache = b.Floats(b.Normal((long)batch * capacity * width), [batch, capacity, width]);
        b.Cpu.Kernels.WriteCache(source.Cpu, cache.Cpu, start);
        b.Device.Kernels.WriteCache(source.Device, cache.Device, start);
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
        b.Device.Kernels.Attention(query.Device, keys.Device, values.Device, keyMask.Device, layout, output.Device);
        string shape = $"b={layout.Batch} q={layout.QueryLength} start={layout.Start} heads={layout.Heads}/{layout.KvHeads} d={layout.HeadDim}";
        return new(layout.QueryLength == 1 ? "attention decode" : "attention prefill", shape, CheckBench.Error(output), 1e-5);
    }

    private static KernelCheckResult SwiGlu(CheckBench b, int n)
    {
        var gate = b.Floats(b.Normal(n, 4f), [n]);
        var up = b.Floats(b.Normal(n), [n]);
        var output = b.Zeros(DType.F32, n);
        b.Cpu.Kernels.SwiGlu(gate.Cpu, up.Cpu, output.Cpu);
        b.Device.Kernels.SwiGlu(gate.Device, up.Device, output.Device);
        double error = CheckBench.Error(output);
        var gbs = b.Bandwidth(12L * n, () => b.Device.Kernels.SwiGlu(gate.Device, up.Device, output.Device));
        return new("swiglu", $"[{n}]", error, 1e-6, gbs);
    }

    private static KernelCheckResult Add(CheckBench b, int n)
    {
        var x = b.Floats(b.Normal(n), [n]);
        var y = b.Floats(b.Normal(n), [n]);
        var output = b.Zeros(DType.F32, n);
        b.Cpu.Kernels.Add(x.Cpu, y.Cpu, output.Cpu);
        b.Device.Kernels.Add(x.Device, y.Device, output.Device);
        double error = CheckBench.Error(output);
        var gbs = b.Bandwidth(12L * n, () => b.Device.Kernels.Add(x.Device, y.Device, output.Device));
        return new("add", $"[{n}]", error, 0, gbs);
    }

    private static KernelCheckResult LogSoftmax(CheckBench b, int rows, int width)
    {
        var input = b.Floats(b.Normal((long)rows * width, 5f), [rows, width]);
        var output = b.Zeros(DType.F32, rows, width);
        b.Cpu.Kernels.LogSoftmax(input.Cpu, output.Cpu);
        b.Device.Kernels.LogSoftmax(input.Device, output.Device);
        double error = CheckBench.Error(output);
        var gbs = b.Bandwidth(8L * rows * width, () => b.Device.Kernels.LogSoftmax(input.Device, output.Device));
        return new("log_softmax", $"[{rows}, {width}]", error, 1e-5, gbs);
    }

    private static KernelCheckResult GatherScatter(CheckBench b, int n, int width, int m)
    {
        var input = b.Floats(b.Normal((long)n * width), [n, width]);
        var rows = b.Ints(Enumerable.Range(0, n).OrderBy(_ => b.Random.Next()).Take(m).ToArray(), m);
        var gathered = b.Zeros(DType.F32, m, width);
        b.Cpu.Kernels.GatherRows(input.Cpu, rows.Cpu, gathered.Cpu);
        b.Device.Kernels.GatherRows(input.Device, rows.Device, gathered.Device);
        var target = b.Floats(b.Normal((long)n * width), [n, width]);
        b.Cpu.Kernels.ScatterRows(gathered.Cpu, rows.Cpu, target.Cpu);
        b.Device.Kernels.ScatterRows(gathered.Device, rows.Device, target.Device);
        double error = Math.Max(CheckBench.Error(gathered), CheckBench.Error(target));
        var gbs = b.Bandwidth(8L * m * width, () => b.Device.Kernels.GatherRows(input.Device, rows.Device, gathered.Device));
        return new("gather/scatter rows", $"{m} of [{n}, {width}]", error, 0, gbs);
    }

    private static KernelCheckResult CosineRerank(CheckBench b, DType storage, int count, int dim)
    {
        var query = b.Floats(b.Normal(dim), [dim]);
        var candidates = b.Floats(b.Normal((long)count * dim), [count, dim], storage);
        var scores = b.Zeros(DType.F32, count);
        b.Cpu.Kernels.CosineScores(query.Cpu, candidates.Cpu, scores.Cpu);
        b.Device.Kernels.CosineScores(query.Device, candidates.Device, scores.Device);
        var gbs = b.Bandwidth((long)count * dim * storage.SizeOf() + 4L * dim,
            () => b.Device.Kernels.CosineScores(query.Device, candidates.Device, scores.Device));
        return new($"cosine scores {storage}", $"{count} × [{dim}]", CheckBench.Error(scores), 1e-5, gbs);
    }
}
