using Clara.Engine.Bench.Models;
using Clara.Engine.Bench.Workloads;
using Clara.Engine.Models;
using LLama;
using LLama.Common;
using LLama.Native;

namespace Clara.Engine.Bench.Peers;

/// <summary>
/// <c>gguf</c> writes the bench's random weights (same seed, no LoRA) as a GGUF; <c>llama</c> runs the workloads of
/// <c>workload --lora 0</c> on such a file in llama.cpp, in-process through LLamaSharp's low-level API (model,
/// context, batch, decode, logits; greedy argmax on the host as the engine's workload does), and prints one JSON
/// object with the same fields: prefill and decode tokens/s, the decode's greedy tokens, the peak RSS.
/// </summary>
public static class LlamaCommand
{
    public const string GgufUsage = "gguf --model tiny|small-125m|mistral-7b [--dtype f32|bf16|f16] --out FILE.gguf";

    public const string Usage =
        "llama --gguf FILE [--threads N] [--repeat N (3)] [--prefill TOKENS] [--decode 1xSTEPS] [--prompt TOKENS (16)]";

    public static int WriteGguf(IReadOnlyList<string> args)
    {
        var cli = new Workloads.CommandLine(args);
        string modelName = cli.String("--model") ?? throw new ArgumentException("--model is required\n" + GgufUsage);
        var dtype = WorkloadCommand.ParseDType(cli.String("--dtype") ?? "bf16");
        string output = cli.String("--out") ?? throw new ArgumentException("--out is required\n" + GgufUsage);
        cli.RejectUnknown();
        using var backend = BenchSettings.BackendFactory();
        using var model = BenchModel.Create(modelName, dtype, loraRank: 0, backend);
        LlamaGgufExport.Write(model.Weights, backend, output);
        Console.Error.WriteLine($"wrote {output} ({new FileInfo(output).Length} bytes)");
        return 0;
    }

    public static int Run(IReadOnlyList<string> args)
    {
        var cli = new Workloads.CommandLine(args);
        string path = cli.String("--gguf") ?? throw new ArgumentException("--gguf is required\n" + Usage);
        int threads = cli.Int("--threads", Environment.ProcessorCount);
        int repeat = cli.Int("--repeat", 3);
        int? prefill = cli.Has("--prefill") ? cli.Int("--prefill", 275) : null;
        var decode = cli.Pair("--decode");
        int prompt = cli.Int("--prompt", 16);
        cli.RejectUnknown();
        if (!File.Exists(path)) throw new ArgumentException($"{path}: no such GGUF file");
        if (decode is var (b, _) && b != 1) throw new ArgumentException("llama: only --decode 1xSTEPS (batch 1) is implemented");

        NativeLibraryConfig.All.WithLogCallback((_, _) => { });
        int capacity = Math.Max(prefill ?? 0, prompt + (decode?.Item2 ?? 0) + 1);
        var parameters = new ModelParams(path)
        {
            ContextSize = (uint)capacity,
            BatchSize = (uint)capacity,
            UBatchSize = (uint)capacity,
            Threads = threads,
            BatchThreads = threads,
            GpuLayerCount = 0,
        };
        using var weights = LLamaWeights.LoadFromFile(parameters);
        int vocab = weights.Vocab.Count;
        JsonReport.Print(w =>
        {
            w.WriteString("peer", "llama.cpp (LLamaSharp " + typeof(LLamaWeights).Assembly.GetName().Version + ")");
            w.WriteString("gguf", path);
            w.WriteNumber("threads", threads);
            if (prefill is { } tokens)
            {
                var ids = PrefillWorkload.PromptIds(vocab, tokens);
                LLamaContext? context = null;
                var timing = Timing.Measure(repeat, () => Greedy(context!, ids, 0, 0), () => { context?.Dispose(); context = weights.CreateContext(parameters); });
                context?.Dispose();
                w.WriteStartObject("prefill");
                w.WriteNumber("tokens", tokens);
                JsonReport.WriteTiming(w, timing, tokens);
                w.WriteEndObject();
            }
            if (decode is var (_, steps))
            {
                var ids = DecodeWorkload.PromptIds(vocab, prompt);
                LLamaContext? context = null;
                int first = 0;
                List<int> generated = [];
                // The prompt is prefilled (untimed) in prepare, as the engine's DecodeWorkload does.
                var timing = Timing.Measure(repeat,
                    () => generated = Steps(context!, first, prompt, steps),
                    () =>
                    {
                        context?.Dispose();
                        context = weights.CreateContext(parameters);
                        first = Greedy(context, ids, 0, 0);
                    });
                context?.Dispose();
                w.WriteStartObject("decode");
                w.WriteNumber("batch", 1);
                w.WriteNumber("prompt", prompt);
                w.WriteNumber("steps", steps);
                JsonReport.WriteTiming(w, timing, steps);
                w.WriteStartArray("ids");
                foreach (var id in generated) w.WriteNumberValue(id);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteNumber("peak_rss_mb", PeakRss.Megabytes());
        });
        return 0;
    }

    /// <summary>The first token, then one decode per step, each fed the previous argmax; returns all Steps + 1 tokens.</summary>
    private static List<int> Steps(LLamaContext context, int first, int position, int steps)
    {
        var tokens = new List<int>(steps + 1) { first };
        int next = first;
        for (int s = 0; s < steps; s++)
        {
            next = Greedy(context, [next], position + s, 0);
            tokens.Add(next);
        }
        return tokens;
    }

    /// <summary>Decodes <paramref name="ids"/> at positions from <paramref name="position"/>; the argmax of the last one's logits.</summary>
    private static int Greedy(LLamaContext context, IReadOnlyList<int> ids, int position, int sequence)
    {
        var batch = new LLamaBatch();
        for (int i = 0; i < ids.Count; i++) batch.Add((LLamaToken)ids[i], position + i, (LLamaSeqId)sequence, i == ids.Count - 1);
        var result = context.NativeHandle.Decode(batch);
        if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode failed: {result}");
        var logits = context.NativeHandle.GetLogitsIth(batch.TokenCount - 1);
        return System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits);
    }
}
