using System.CommandLine;
using System.Runtime.InteropServices;
using Clara.CommandLine;
using Clara.Engine.Backends.Cpu;
using Clara.Engine.Bench.Workloads;
using Clara.Engine.Models;
using Clara.Engine.Tensors;

namespace Clara.Engine.Bench.Kernels;

/// <summary>
/// <c>q8-gemv</c>: the two inner products of the Q8_0 decode GEMV (int8 dot products against quantised activations,
/// or int8 widened to fp32 with FMA) on one decode step's worth of a model's weights (every projection of every
/// block, then lm_head, each its own matrix as in decoding, so the set streams from DRAM), for 1 and 16 input rows,
/// as one JSON object: best seconds per step, weight GB/s. The kinds alternate run by run. Where the CPU has AVX-VNNI
/// the prefill GEMM (<c>Q8VnniGemm</c>) is timed on the same rows too (<c>vnni_gemm_rowsN</c>): its per-call packing of
/// the weight panels is why decoding does not use it.
/// </summary>
public static unsafe class Q8GemvCommand
{
    public static Command Create()
    {
        var model = Options.Text("--model", "NAME", "small-125m", "the random model whose shapes are used");
        var threads = BenchOptions.Threads();
        var repeat = Options.Int("--repeat", "N", 10, "timed steps per kind and row count", min: 1);
        return new Command("q8-gemv", "int8 against widened inner products of the Q8_0 decode GEMV, as one JSON object") { model, threads, repeat }
            .WithAction(p => Run(p.GetValue(model)!, p.GetValue(threads) ?? BenchSettings.Threads, p.GetValue(repeat)));
    }

    private static int Run(string modelName, int threads, int repeat)
    {
        var config = RandomWeights.NamedConfig(modelName);
        var shapes = new List<(int N, int K)>();
        for (int layer = 0; layer < config.Layers; layer++)
            foreach (var slot in LinearSlots.All) shapes.Add(slot.Dims(config));
        shapes.Add((config.VocabSize, config.HiddenSize));
        var matrices = shapes.Select((s, i) => QuantisedMatrix.Random(s.N, s.K, i)).ToList();
        long bytes = matrices.Sum(m => m.Bytes);
        int maxK = shapes.Max(s => s.K), maxN = shapes.Max(s => s.N);
        try
        {
            JsonReport.Print(w =>
            {
                w.WriteString("model", modelName);
                w.WriteNumber("threads", threads);
                w.WriteNumber("weight_bytes", bytes);
                w.WriteBoolean("avx_vnni", System.Runtime.Intrinsics.X86.AvxVnni.IsSupported);
                foreach (int rows in new[] { 1, 16 })
                {
                    var x = new float[rows * maxK];
                    var random = new Random(3);
                    for (int i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() * 2 - 1);
                    var y = new float[rows * maxN];
                    var best = new Dictionary<Q8DotKind, double> { [Q8DotKind.Int8] = double.MaxValue, [Q8DotKind.Widened] = double.MaxValue };
                    fixed (float* xp = x, yp = y)
                    {
                        float* xs = xp, ys = yp;
                        for (int run = 0; run <= repeat; run++)
                            foreach (var kind in run % 2 == 0 ? new[] { Q8DotKind.Int8, Q8DotKind.Widened } : [Q8DotKind.Widened, Q8DotKind.Int8])
                            {
                                var timing = Timing.Measure(1, () =>
                                {
                                    foreach (var m in matrices)
                                        Q8StreamedGemv.Run(new Product(xs, (byte*)m.Values, DType.Q8_0, ys, rows, m.N, m.K, 1f, 0f, scales: m.Scales), threads, kind);
                                });
                                best[kind] = Math.Min(best[kind], timing.BestSeconds);
                            }
                    }
                    if (Q8VnniGemm.IsSupported)
                        fixed (float* xp = x, yp = y)
                        {
                            float* xs = xp, ys = yp;
                            double vnni = double.MaxValue;
                            for (int run = 0; run <= repeat; run++)
                                vnni = Math.Min(vnni, Timing.Measure(1, () =>
                                {
                                    foreach (var m in matrices)
                                        Q8VnniGemm.Run(new Product(xs, (byte*)m.Values, DType.Q8_0, ys, rows, m.N, m.K, 1f, 0f, scales: m.Scales), threads);
                                }).BestSeconds);
                            w.WriteStartObject($"vnni_gemm_rows{rows}");
                            w.WriteNumber("best_seconds_per_step", vnni);
                            w.WriteNumber("weight_gbps", bytes / vnni / 1e9);
                            w.WriteEndObject();
                        }
                    foreach (var (kind, seconds) in best)
                    {
                        w.WriteStartObject($"{kind.ToString().ToLowerInvariant()}_rows{rows}");
                        w.WriteNumber("best_seconds_per_step", seconds);
                        w.WriteNumber("weight_gbps", bytes / seconds / 1e9);
                        w.WriteEndObject();
                    }
                }
            });
        }
        finally
        {
            foreach (var m in matrices) m.Free();
        }
        return 0;
    }

    /// <summary>A random Q8_0 matrix in native memory (int8 values, then F16 scales).</summary>
    private sealed class QuantisedMatrix
    {
        public int N { get; private init; }
        public int K { get; private init; }
        public sbyte* Values { get; private init; }
        public ushort* Scales { get; private init; }
        public long Bytes => (long)N * K + (long)N * K / Q8Blocks.BlockSize * sizeof(ushort);

        public static QuantisedMatrix Random(int n, int k, int seed)
        {
            long count = (long)n * k;
            var values = (sbyte*)NativeMemory.AlignedAlloc((nuint)count, 64);
            var scales = (ushort*)NativeMemory.AlignedAlloc((nuint)(count / Q8Blocks.BlockSize * sizeof(ushort)), 64);
            var row = new float[k];
            var random = new Random(seed);
            for (int r = 0; r < n; r++)
            {
                for (int c = 0; c < k; c++) row[c] = (float)(random.NextDouble() - 0.5) * 0.07f;
                Q8Blocks.Quantize(row, new Span<sbyte>(values + (long)r * k, k), new Span<ushort>(scales + (long)r * k / Q8Blocks.BlockSize, k / Q8Blocks.BlockSize));
            }
            return new QuantisedMatrix { N = n, K = k, Values = values, Scales = scales };
        }

        public void Free()
        {
            NativeMemory.AlignedFree(Values);
            NativeMemory.AlignedFree(Scales);
        }
    }
}
