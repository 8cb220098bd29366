using System.CommandLine;
using Clara.CommandLine;
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
    public static Command CreateGguf()
    {
        var model = BenchOptions.AnyModel();
        var dtype = BenchOptions.DType();
        var output = Options.RequiredText("--out", "FILE.gguf", "the GGUF file to write");
        return new Command("gguf", "write the bench's random weights (same seed, no LoRA) as a GGUF file") { model, dtype, output }
            .WithAction(p => WriteGguf(p.GetValue(model)!, WorkloadCommand.ParseDType(p.GetValue(dtype)!), p.GetValue(output)!));
    }

    public static Command Create()
    {
        var gguf = Options.RequiredText("--gguf", "FILE", "a GGUF file written by the gguf mode");
        var threads = Options.Int("--threads", "N", Environment.ProcessorCount, "llama.cpp threads", min: 1);
        var repeat = Options.Int("--repeat", "N", 3, "timed runs", min: 1);
        var prefill = BenchOptions.Count("--prefill", "TOKENS", "prefill a prompt of TOKENS");
        var decode = BenchOptions.Pair("--decode", "1xSTEPS", "decode STEPS tokens (batch 1)");
        var prompt = Options.Int("--prompt", "TOKENS", 16, "prompt tokens before decoding", min: 1);
        return new Command("llama", "the workload mode's prefill and decode in llama.cpp (LLamaSharp), as one JSON object")
        {
            gguf, threads, repeat, prefill, decode, prompt,
        }.WithAction(p => Run(p.GetValue(gguf)!, p.GetValue(threads), p.GetValue(repeat), p.GetValue(prefill), p.GetValue(decode), p.GetValue(prompt)));
    }

    private static int WriteGguf(string modelName, Engine.Tensors.DType dtype, string output)
    {
        using var backend = BenchSettings.BackendFactory();
        using var model = BenchModel.Create(modelName, dtype, loraRank: 0, backend);
        LlamaGgufExport.Write(model.Weights, backend, output);
        Console.Error.WriteLine($"wrote {output} ({new FileInfo(output).Length} bytes)");
        return 0;
    }

    private static int Run(string path, int threads, int repeat, int? prefill, (int A, int B)? decode, int prompt)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such GGUF file", path);
        if (decode is var (b, _) && b != 1) throw new UsageException("llama: only --decode 1xSTEPS (batch 1) is implemented");

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
