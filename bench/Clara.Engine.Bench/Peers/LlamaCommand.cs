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
        var decode = BenchOptions.Pairs("--decode", "BATCHxSTEPS[,..]", "decode STEPS tokens for BATCH sequences (e.g. 1x64,16x64)");
        var prompt = Options.Int("--prompt", "TOKENS", 16, "prompt tokens before decoding", min: 1);
        return new Command("llama", "the workload mode's prefill and decode in llama.cpp (LLamaSharp), as one JSON object")
        {
            gguf, threads, repeat, prefill, decode, prompt,
        }.WithAction(p => Run(p.GetValue(gguf)!, p.GetValue(threads), p.GetValue(repeat), p.GetValue(prefill),
            p.GetResult(decode) is null ? [] : p.GetValue(decode)!, p.GetValue(prompt)));
    }

    private static int WriteGguf(string modelName, Engine.Tensors.DType dtype, string output)
    {
        using var backend = BenchSettings.BackendFactory();
        using var model = BenchModel.Create(modelName, dtype, loraRank: 0, backend);
        LlamaGgufExport.Write(model.Weights, backend, output);
        Console.Error.WriteLine($"wrote {output} ({new FileInfo(output).Length} bytes)");
        return 0;
    }

    private static int Run(string path, int threads, int repeat, int? prefill, IReadOnlyList<(int Batch, int Steps)> decodes, int prompt)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such GGUF file", path);

        NativeLibraryConfig.All.WithLogCallback((_, _) => { });
        using var weights = LLamaWeights.LoadFromFile(Parameters(path, threads, Math.Max(prefill ?? 1, 1), 1));
        int vocab = weights.Vocab.Count;
        JsonReport.Print(w =>
        {
            w.WriteString("peer", "llama.cpp (LLamaSharp " + typeof(LLamaWeights).Assembly.GetName().Version + ")");
            w.WriteString("gguf", path);
            w.WriteNumber("threads", threads);
            if (prefill is { } tokens)
            {
                var parameters = Parameters(path, threads, tokens, 1);
                var ids = PrefillWorkload.PromptIds(vocab, tokens);
                LLamaContext? context = null;
                var timing = Timing.Measure(repeat, () => Prefill(context!, ids), () => { context?.Dispose(); context = weights.CreateContext(parameters); });
                context?.Dispose();
                w.WriteStartObject("prefill");
                w.WriteNumber("tokens", tokens);
                JsonReport.WriteTiming(w, timing, tokens);
                w.WriteEndObject();
            }
            // One decode: "decode"; several: "decode_b<batch>" each, as the engine's workload mode names them.
            foreach (var (batch, steps) in decodes)
            {
                // Every sequence gets its own cache of prompt + steps positions (a unified cache would make each
                // token attend over all 16 sequences' slots, which the engine does not do).
                var parameters = Parameters(path, threads, batch * (prompt + steps + 1), batch);
                var ids = DecodeWorkload.PromptIds(vocab, batch * prompt);
                LLamaContext? context = null;
                int[] first = [];
                List<int>[] generated = [];
                // The prompts are prefilled (untimed) in prepare, as the engine's DecodeWorkload does.
                var timing = Timing.Measure(repeat,
                    () => generated = Steps(context!, first, prompt, steps),
                    () =>
                    {
                        context?.Dispose();
                        context = weights.CreateContext(parameters);
                        first = PrefillSequences(context, ids, batch, prompt);
                    });
                context?.Dispose();
                w.WriteStartObject(decodes.Count == 1 ? "decode" : $"decode_b{batch}");
                w.WriteNumber("batch", batch);
                w.WriteNumber("prompt", prompt);
                w.WriteNumber("steps", steps);
                JsonReport.WriteTiming(w, timing, batch * steps);
                JsonReport.WriteIds(w, generated);
                w.WriteEndObject();
            }
            PeakRss.Write(w);
        });
        return 0;
    }

    private static ModelParams Parameters(string path, int threads, int contextTokens, int sequences) => new(path)
    {
        ContextSize = (uint)contextTokens,
        BatchSize = (uint)contextTokens,
        UBatchSize = (uint)contextTokens,
        SeqMax = (uint)sequences,
        KVUnified = false,
        Threads = threads,
        BatchThreads = threads,
        GpuLayerCount = 0,
    };

    /// <summary>One prompt of the prefill workload, logits for its last token only (what the engine's prefill computes).</summary>
    private static void Prefill(LLamaContext context, IReadOnlyList<int> ids)
    {
        var batch = new LLamaBatch();
        for (int i = 0; i < ids.Count; i++) batch.Add((LLamaToken)ids[i], i, (LLamaSeqId)0, i == ids.Count - 1);
        Decode(context, batch);
        System.Numerics.Tensors.TensorPrimitives.IndexOfMax(context.NativeHandle.GetLogitsIth(batch.TokenCount - 1));
    }

    /// <summary>All sequences' prompts in one batch (sequence b: ids[b·prompt …]); each one's argmax after its last token.</summary>
    private static int[] PrefillSequences(LLamaContext context, int[] ids, int sequences, int prompt)
    {
        var batch = new LLamaBatch();
        for (int b = 0; b < sequences; b++)
            for (int i = 0; i < prompt; i++) batch.Add((LLamaToken)ids[b * prompt + i], i, (LLamaSeqId)b, i == prompt - 1);
        Decode(context, batch);
        return Enumerable.Range(0, sequences).Select(b => ArgMax(context, b * prompt + prompt - 1)).ToArray();
    }

    /// <summary>
    /// Per step one batch with every sequence's previous argmax at its next position (distinct sequence ids, logits
    /// for all); returns each sequence's Steps + 1 tokens (the prompt's argmax first).
    /// </summary>
    private static List<int>[] Steps(LLamaContext context, int[] first, int position, int steps)
    {
        int sequences = first.Length;
        var tokens = first.Select(t => new List<int>(steps + 1) { t }).ToArray();
        var next = (int[])first.Clone();
        var batch = new LLamaBatch();
        for (int s = 0; s < steps; s++)
        {
            batch.Clear();
            for (int b = 0; b < sequences; b++) batch.Add((LLamaToken)next[b], position + s, (LLamaSeqId)b, true);
            Decode(context, batch);
            for (int b = 0; b < sequences; b++)
            {
                next[b] = ArgMax(context, b);
                tokens[b].Add(next[b]);
            }
        }
        return tokens;
    }

    private static void Decode(LLamaContext context, LLamaBatch batch)
    {
        var result = context.NativeHandle.Decode(batch);
        if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode failed: {result}");
    }

    private static int ArgMax(LLamaContext context, int batchIndex) =>
        System.Numerics.Tensors.TensorPrimitives.IndexOfMax(context.NativeHandle.GetLogitsIth(batchIndex));
}
