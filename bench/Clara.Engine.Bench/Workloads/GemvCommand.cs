using System.CommandLine;
using Clara.CommandLine;
using Clara.Engine.Backends;
using Clara.Engine.Bench.Kernels;
using Clara.Engine.Bench.Machine;
using Clara.Engine.Bench.Models;
using Clara.Engine.Models;
using Clara.Engine.Tensors;

namespace Clara.Engine.Bench.Workloads;

/// <summary>
/// <c>gemv</c>: decode's matrix-vector products alone, without the rest of a decode step (attention, norms, argmax):
/// every projection of every layer and the lm_head of a random model, one after another, as one step runs them, and
/// the weight bytes streamed per second against the machine's DRAM read peak measured in the same process. Example:
/// <c>gemv --model small-125m --dtype bf16 --batch 1 --threads 2</c>.
/// </summary>
public static class GemvCommand
{
    private static readonly Option<string> ModelOption = BenchOptions.AnyModel();
    private static readonly Option<string> DTypeOption = BenchOptions.DType();
    private static readonly Option<int?> ThreadsOption = BenchOptions.Threads();
    private static readonly Option<int> BatchOption = Options.Int("--batch", "ROWS", 1, "input rows per product (decode batch)", min: 1);
    private static readonly Option<int> RepeatOption = Options.Int("--repeat", "N", 20, "timed passes over all products", min: 1);

    public static Command Create() =>
        new Command("gemv", "decode's matrix-vector products alone (all layers' projections and the lm_head), GB/s of weights, as one JSON object")
        {
            ModelOption, DTypeOption, ThreadsOption, BatchOption, RepeatOption,
        }.WithAction(Run);

    private static int Run(ParseResult p)
    {
        string modelName = p.GetValue(ModelOption)!;
        var dtype = WorkloadCommand.ParseDType(p.GetValue(DTypeOption)!);
        BenchSettings.Threads = p.GetValue(ThreadsOption) ?? BenchSettings.Threads;
        int batch = p.GetValue(BatchOption);
        int repeat = p.GetValue(RepeatOption);

        var peaks = MachinePeaks.Measure(BenchSettings.Threads, 3);
        using var backend = BenchSettings.BackendFactory();
        using var model = BenchModel.Create(modelName, dtype, loraRank: 0, backend);
        using var tensors = new BenchTensors(backend);
        var weights = new List<Tensor>();
        foreach (var layer in model.Weights.Layers)
            foreach (var slot in LinearSlots.All) weights.Add(layer[slot]);
        var projections = weights.ToArray();
        var lmHead = new[] { model.Weights.LmHead };
        var all = weights.Append(model.Weights.LmHead).ToArray();
        // One input and one output per distinct shape, as a step reuses its activations.
        var inputs = new Dictionary<int, Tensor>();
        var outputs = new Dictionary<int, Tensor>();
        foreach (var w in all)
        {
            int n = w.Shape[0], k = w.Shape[1];
            if (!inputs.ContainsKey(k)) inputs[k] = tensors.Random(DType.F32, 1f, batch, k);
            if (!outputs.ContainsKey(n)) outputs[n] = tensors.Zeros(DType.F32, batch, n);
        }
        void Products(Tensor[] set)
        {
            foreach (var w in set) backend.Kernels.MatMul(inputs[w.Shape[1]], w, outputs[w.Shape[0]]);
            backend.Synchronize();
        }

        // Until the kernels reach their final JIT tier (tiered PGO recompiles after a delay), passes are not yet
        // what a long-running service sees; a fixed number of warm-up passes was not enough for the first set timed.
        var warmUp = System.Diagnostics.Stopwatch.StartNew();
        while (warmUp.Elapsed.TotalSeconds < 1.0) Products(all);
        var bySlot = TimeBySlot(model, backend, inputs, outputs, repeat);

        JsonReport.Print(j =>
        {
            j.WriteString("model", modelName);
            j.WriteString("dtype", dtype.ToString());
            j.WriteNumber("threads", BenchSettings.Threads);
            j.WriteNumber("batch", batch);
            j.WriteNumber("read_gbps", peaks.ReadGBps);
            foreach (var (name, set) in new[] { ("step", all), ("projections", projections), ("lm_head", lmHead) })
            {
                long bytes = set.Sum(w => w.ByteLength);
                // Process CPU time per pass too: on a shared machine wall time includes waiting for a core.
                double cpu = double.MaxValue;
                var timing = Timing.Measure(repeat, () =>
                {
                    var before = Environment.CpuUsage.TotalTime;
                    Products(set);
                    cpu = Math.Min(cpu, (Environment.CpuUsage.TotalTime - before).TotalSeconds);
                });
                double gbps = bytes / timing.BestSeconds / 1e9;
                j.WriteStartObject(name);
                j.WriteNumber("weight_bytes", bytes);
                j.WriteNumber("best_ms", timing.BestSeconds * 1e3);
                j.WriteNumber("median_ms", timing.MedianSeconds * 1e3);
                j.WriteNumber("gbps", gbps);
                j.WriteNumber("gbps_median", bytes / timing.MedianSeconds / 1e9);
                j.WriteNumber("percent_of_read_peak", 100 * gbps / peaks.ReadGBps);
                j.WriteNumber("best_cpu_ms", cpu * 1e3);
                j.WriteEndObject();
            }
            j.WriteStartObject("by_slot");
            foreach (var (slot, bytes, seconds) in bySlot)
            {
                j.WriteStartObject(slot);
                j.WriteNumber("weight_bytes_per_layer", bytes);
                j.WriteNumber("us_per_product", seconds * 1e6);
                j.WriteNumber("gbps", bytes / seconds / 1e9);
                j.WriteNumber("percent_of_read_peak", 100 * bytes / seconds / 1e9 / peaks.ReadGBps);
                j.WriteEndObject();
            }
            j.WriteEndObject();
        });
        return 0;
    }

    /// <summary>
    /// Each product of a step timed on its own, in the step's order (so caches hold what they would in a real step),
    /// summed per projection slot over the layers; per slot the best pass. Small products (the K/V projections) pay
    /// their fixed costs, such as handing half the rows to the other core, over fewer bytes.
    /// </summary>
    private static List<(string Slot, long BytesPerLayer, double SecondsPerProduct)> TimeBySlot(
        BenchModel model, IBackend backend, Dictionary<int, Tensor> inputs, Dictionary<int, Tensor> outputs, int repeat)
    {
        var names = LinearSlots.All.Select(s => s.EngineName()).Append("lm_head").ToArray();
        var best = Enumerable.Repeat(double.MaxValue, names.Length).ToArray();
        var pass = new double[names.Length];
        int layers = model.Weights.Layers.Count;
        for (int r = 0; r < repeat; r++)
        {
            Array.Clear(pass);
            foreach (var layer in model.Weights.Layers)
                for (int s = 0; s < LinearSlots.All.Length; s++) pass[s] += Time(layer[LinearSlots.All[s]]);
            pass[^1] += Time(model.Weights.LmHead);
            for (int s = 0; s < names.Length; s++) best[s] = Math.Min(best[s], pass[s]);
        }
        var rows = new List<(string, long, double)>();
        var first = model.Weights.Layers[0];
        for (int s = 0; s < LinearSlots.All.Length; s++) rows.Add((names[s], first[LinearSlots.All[s]].ByteLength, best[s] / layers));
        rows.Add((names[^1], model.Weights.LmHead.ByteLength, best[^1]));
        return rows;

        double Time(Tensor w)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            backend.Kernels.MatMul(inputs[w.Shape[1]], w, outputs[w.Shape[0]]);
            backend.Synchronize();
            return System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
    }
}
