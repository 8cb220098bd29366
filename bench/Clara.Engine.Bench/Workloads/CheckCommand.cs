using System.CommandLine;
using Clara.CommandLine;
using Clara.Engine.Backends;
using Clara.Engine.Backends.Cpu;
using Clara.Engine.Bench.Kernels;
using Clara.Engine.Tensors;

namespace Clara.Engine.Bench.Workloads;

/// <summary>
/// <c>check</c>: a quick guard for whoever tunes the CPU matmul and attention. Runs them over awkward shapes (every
/// tail of the register tiles, K blocks, thread splits, GQA groups, masked keys), dtypes and alpha/beta, and
/// compares with float64 loops. The
/// real verdict is the PyTorch oracle suite; this only reaches shapes too large for its fixtures.
/// </summary>
public static class CheckCommand
{
    private static readonly Option<int> ThreadsOption = Options.Int("--threads", "N", 2, "CPU backend threads", min: 1);

    public static Command Create() =>
        new Command("check", "CPU matmul and attention against float64 loops over awkward shapes") { ThreadsOption }.WithAction(Run);

    private static int Run(ParseResult p)
    {
        int threads = p.GetValue(ThreadsOption);
        using var backend = new CpuBackend(threads);
        int failures = 0, cases = 0;
        int[] ms = [1, 2, 3, 16, 33, 70, 300, 600], ns = [1, 5, 12, 13, 40, 100], ks = [1, 7, 16, 300, 600];
        foreach (var dtype in new[] { DType.F32, DType.BF16, DType.F16 })
            foreach (int m in ms)
                foreach (int n in ns)
                    foreach (int k in ks)
                        foreach (var (alpha, beta) in new[] { (1f, 0f), (0.5f, 1f) })
                        {
                            cases++;
                            double error = MaxRelativeError(backend, dtype, m, n, k, alpha, beta);
                            if (error > 1e-5)
                            {
                                failures++;
                                Console.WriteLine($"FAIL {dtype} m={m} n={n} k={k} alpha={alpha} beta={beta}: max error {error:E2}");
                            }
                        }
        Console.WriteLine($"{cases - failures}/{cases} matmul cases within 1e-5 of float64");
        int attentionFailures = 0, attentionCases = 0;
        foreach (var (batch, length, start, heads, kvHeads, d) in new[]
                 { (1, 1, 0, 4, 4, 8), (2, 1, 37, 8, 2, 64), (3, 19, 0, 4, 2, 10), (2, 70, 5, 12, 4, 64), (1, 275, 0, 8, 2, 32), (16, 1, 100, 32, 8, 128) })
        {
            attentionCases++;
            double error = AttentionError(backend, new AttentionLayout(batch, length, start, heads, kvHeads, d, 1f / MathF.Sqrt(d)));
            if (error > 1e-5)
            {
                attentionFailures++;
                Console.WriteLine($"FAIL attention b{batch} q{length} @{start} {heads}/{kvHeads}x{d}: max error {error:E2}");
            }
        }
        Console.WriteLine($"{attentionCases - attentionFailures}/{attentionCases} attention cases within 1e-5 of float64");
        return failures + attentionFailures == 0 ? 0 : 1;
    }

    /// <summary>Largest absolute error against float64 attention; every sequence has some padded (masked) keys.</summary>
    private static double AttentionError(CpuBackend backend, AttentionLayout l)
    {
        using var tensors = new BenchTensors(backend);
        int capacity = l.KeyLength + 3, d = l.HeadDim, qWidth = l.Heads * d, kvWidth = l.KvHeads * d;
        var mask = new int[l.Batch * capacity];
        for (int b = 0; b < l.Batch; b++)
            for (int j = 0; j < capacity; j++) mask[b * capacity + j] = (j + b) % 5 == 1 && j < l.KeyLength - 1 ? 0 : 1;
        var q = tensors.Random(DType.F32, 1f, l.Batch * l.QueryLength, qWidth);
        var k = tensors.Random(DType.F32, 1f, l.Batch, capacity, kvWidth);
        var v = tensors.Random(DType.F32, 1f, l.Batch, capacity, kvWidth);
        var o = tensors.Zeros(DType.F32, l.Batch * l.QueryLength, qWidth);
        backend.Kernels.Attention(q, k, v, tensors.Ints(mask, l.Batch, capacity), l, o);
        float[] qs = q.ToFloatArray(), ks = k.ToFloatArray(), vs = v.ToFloatArray(), os = o.ToFloatArray();
        double worst = 0;
        for (int b = 0; b < l.Batch; b++)
            for (int t = 0; t < l.QueryLength; t++)
                for (int h = 0; h < l.Heads; h++)
                {
                    int kvh = h / l.GroupSize, visible = l.Start + t + 1;
                    var p = new double[visible];
                    double max = double.NegativeInfinity;
                    for (int j = 0; j < visible; j++)
                    {
                        if (mask[b * capacity + j] == 0) { p[j] = double.NegativeInfinity; continue; }
                        double s = 0;
                        for (int c = 0; c < d; c++) s += (double)qs[((b * l.QueryLength) + t) * qWidth + h * d + c] * ks[(b * capacity + j) * kvWidth + kvh * d + c];
                        p[j] = s * l.Scale;
                        max = Math.Max(max, p[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < visible; j++) sum += p[j] = double.IsNegativeInfinity(p[j]) ? 0 : Math.Exp(p[j] - max);
                    for (int c = 0; c < d; c++)
                    {
                        double expected = 0;
                        for (int j = 0; j < visible; j++) expected += p[j] / sum * vs[(b * capacity + j) * kvWidth + kvh * d + c];
                        worst = Math.Max(worst, Math.Abs(expected - os[((b * l.QueryLength) + t) * qWidth + h * d + c]));
                    }
                }
        return worst;
    }

    private static double MaxRelativeError(CpuBackend backend, DType dtype, int m, int n, int k, float alpha, float beta)
    {
        using var tensors = new BenchTensors(backend);
        var x = tensors.Random(DType.F32, 1f, m, k);
        var w = tensors.Random(dtype, 1f, n, k);
        var y = tensors.Random(DType.F32, 1f, m, n);
        var xs = x.ToFloatArray();
        var ws = w.ToFloatArray();
        var y0 = y.ToFloatArray();
        backend.Kernels.MatMul(x, w, y, alpha, beta);
        var ys = y.ToFloatArray();
        double worst = 0;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double dot = 0, scale = 0;
                for (int c = 0; c < k; c++)
                {
                    dot += (double)xs[i * k + c] * ws[j * k + c];
                    scale += Math.Abs((double)xs[i * k + c] * ws[j * k + c]);
                }
                double expected = alpha * dot + (beta == 0 ? 0 : beta * y0[i * n + j]);
                double error = Math.Abs(ys[i * n + j] - expected) / Math.Max(1, Math.Abs(alpha) * scale + Math.Abs(beta * y0[i * n + j]));
                worst = Math.Max(worst, error);
            }
        return worst;
    }
}
