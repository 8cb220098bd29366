using System.CommandLine;
using System.Diagnostics;
using Clara.CommandLine;
using System.Text.Json;
using Clara.Engine.Bench.Models;
using Clara.Engine.Bench.Profiling;
using Clara.Engine.Models;
using Clara.Engine.Tensors;

namespace Clara.Engine.Bench.Workloads;

/// <summary>
/// <c>workload</c>: runs model-level workloads on random weights and prints one JSON object (bench/side_by_side.py
/// parses it). Example: <c>workload --model small-125m --dtype f32 --threads 2 --compress 8x275 --decode 1x64</c>.
/// </summary>
public static class WorkloadCommand
{
    private static readonly Option<string> ModelOption = BenchOptions.AnyModel();
    private static readonly Option<string> DTypeOption = BenchOptions.DType();
    private static readonly Option<int?> ThreadsOption = BenchOptions.Threads();
    private static readonly Option<int> LoraOption = Options.Int("--lora", "RANK", 16, "LoRA rank (0: none)", min: 0);
    private static readonly Option<int> RepeatOption = Options.Int("--repeat", "N", 3, "timed runs", min: 1);
    private static readonly Option<(int A, int B)?> CompressOption = BenchOptions.Pair("--compress", "DOCSxROWLENGTH", "compress DOCS documents of ROWLENGTH encoder tokens (e.g. 8x275)");
    private static readonly Option<(int A, int B)[]> DecodeOption = BenchOptions.Pairs("--decode", "BATCHxSTEPS[,..]", "decode STEPS tokens for BATCH sequences (e.g. 1x64)");
    private static readonly Option<int> PromptOption = Options.Int("--prompt", "TOKENS", 16, "prompt tokens before decoding", min: 1);
    private static readonly Option<int?> PrefillOption = BenchOptions.Count("--prefill", "TOKENS", "prefill a prompt of TOKENS");
    private static readonly Option<bool> AskOption = Options.Flag("--ask", "one clara ask end to end");
    private static readonly Option<int> AskTokensOption = Options.Int("--ask-new-tokens", "N", 32, "tokens the ask generates", min: 1);
    private static readonly Option<int> AskCandidatesOption = Options.Int("--ask-candidates", "N", 20, "documents the ask ranks", min: 1);
    private static readonly Option<bool> ProfileOption = Options.Flag("--profile", "per-kernel time of one more run");
    private static readonly Option<string> WeightsDirOption = Options.Text("--weights-dir", "DIR",
        "map the base weights from a model directory written by the weights mode (as a user's process loads them) instead of making them in this process");

    public static Command Create() =>
        new Command("workload", "model-level workloads on random weights, as one JSON object")
        {
            ModelOption, DTypeOption, ThreadsOption, LoraOption, RepeatOption, CompressOption, DecodeOption, PromptOption, PrefillOption,
            AskOption, AskTokensOption, AskCandidatesOption, ProfileOption, WeightsDirOption,
        }.WithAction(Run);

    private static int Run(ParseResult p)
    {
        string modelName = p.GetValue(ModelOption)!;
        var dtype = ParseDType(p.GetValue(DTypeOption)!);
        BenchSettings.Threads = p.GetValue(ThreadsOption) ?? BenchSettings.Threads;
        int loraRank = p.GetValue(LoraOption);
        int repeat = p.GetValue(RepeatOption);
        var compress = p.GetValue(CompressOption);
        IReadOnlyList<(int A, int B)> decodes = p.GetResult(DecodeOption) is null ? [] : p.GetValue(DecodeOption)!;
        int prompt = p.GetValue(PromptOption);
        int? prefill = p.GetValue(PrefillOption);
        bool ask = p.GetValue(AskOption);
        int askTokens = p.GetValue(AskTokensOption);
        int askCandidates = p.GetValue(AskCandidatesOption);
        bool profile = p.GetValue(ProfileOption);
        string? weightsDir = p.GetValue(WeightsDirOption);
        if (compress is null && decodes.Count == 0 && prefill is null && !ask)
            throw new UsageException("choose at least one of --compress, --decode, --prefill, --ask");
        // Checked before the report starts, so a bad row length is not reported halfway through the JSON.
        if (compress is var (_, rowLength)) BenchClaraConfig.DocumentTokensForRow(rowLength);

        var inner = BenchSettings.BackendFactory();
        using var backend = profile ? new ProfilingBackend(inner) : inner;
        var profiler = backend as ProfilingBackend;
        var config = RandomWeights.NamedConfig(modelName);
        JsonReport.Print(w =>
        {
            w.WriteString("model", modelName);
            w.WriteNumber("parameters", config.ParameterCount);
            w.WriteString("dtype", dtype.ToString());
            w.WriteString("backend", backend.Name);
            w.WriteNumber("threads", BenchSettings.Threads);
            w.WriteNumber("lora_rank", loraRank);
            using (var model = weightsDir is null ? BenchModel.Create(modelName, dtype, loraRank, backend) : BenchModel.Load(modelName, weightsDir, dtype, loraRank, backend))
            {
                w.WriteString("weights", weightsDir is null ? "made in process" : "mapped from " + weightsDir);
                w.WriteNumber("decode_weight_bytes", model.DecodeWeightBytes);
                w.WriteNumber("rss_file_after_load_mb", PeakRss.StatusMegabytes("RssFile:"));
                w.WriteNumber("rss_anon_after_load_mb", PeakRss.StatusMegabytes("RssAnon:"));
                if (compress is var (docs, rowLength))
                {
                    var work = new CompressionWorkload(model, docs, BenchClaraConfig.DocumentTokensForRow(rowLength));
                    var timing = Timing.Measure(repeat, work.Run);
                    w.WriteStartObject("compress");
                    w.WriteNumber("documents", docs);
                    w.WriteNumber("row_length", work.RowLength);
                    w.WriteNumber("tokens", work.Tokens);
                    JsonReport.WriteTiming(w, timing, work.Tokens, docs);
                    WriteProfile(w, profiler, work.Run);
                    w.WriteEndObject();
                }
                if (prefill is { } tokens)
                {
                    var work = new PrefillWorkload(model, tokens);
                    var timing = Timing.Measure(repeat, work.Run);
                    w.WriteStartObject("prefill");
                    w.WriteNumber("tokens", tokens);
                    JsonReport.WriteTiming(w, timing, tokens);
                    WriteProfile(w, profiler, work.Run);
                    w.WriteEndObject();
                }
                // One decode: "decode"; several (e.g. 1x32,16x32 on one set of weights): "decode_b<batch>" each.
                foreach (var (batch, steps) in decodes)
                {
                    using var work = new DecodeWorkload(model, batch, prompt, steps);
                    var gcBefore = GcCounts.Now();
                    var timing = Timing.Measure(repeat, work.Run, work.Prepare);
                    var gc = GcCounts.Now() - gcBefore;
                    w.WriteStartObject(decodes.Count == 1 ? "decode" : $"decode_b{batch}");
                    w.WriteNumber("batch", batch);
                    w.WriteNumber("prompt", prompt);
                    w.WriteNumber("steps", steps);
                    JsonReport.WriteTiming(w, timing, work.Tokens);
                    w.WriteNumber("kv_cache_bytes", work.CacheBytes);
                    w.WriteNumber("rss_file_mb", PeakRss.StatusMegabytes("RssFile:"));
                    w.WriteNumber("rss_anon_mb", PeakRss.StatusMegabytes("RssAnon:"));
                    // Every step streams all weights once, whatever the batch.
                    w.WriteNumber("weight_gbps", (double)model.DecodeWeightBytes * steps / timing.BestSeconds / 1e9);
                    // Over the prefills and steps of every run, warm-up included: what a long decode costs the GC.
                    gc.Write(w, steps: (long)steps * (repeat + 1));
                    JsonReport.WriteIds(w, work.Generated);
                    WriteProfile(w, profiler, work.Run, work.Prepare);
                    w.WriteEndObject();
                }
            }
            if (ask)
            {
                using var work = new AskWorkload(modelName, dtype, backend, askCandidates, askTokens);
                var timing = Timing.Measure(repeat, () => work.Run());
                w.WriteStartObject("ask");
                w.WriteNumber("candidates", askCandidates);
                w.WriteNumber("max_new_tokens", askTokens);
                w.WriteNumber("answer_tokens", work.LastAnswerTokens);
                JsonReport.WriteTiming(w, timing, 0);
                WriteProfile(w, profiler, () => work.Run());
                w.WriteEndObject();
            }
            PeakRss.Write(w);
        });
        return 0;
    }

    /// <summary>With --profile: one more run of the workload, its kernel time by category against its wall time.</summary>
    private static void WriteProfile(Utf8JsonWriter w, ProfilingBackend? profiler, Action run, Action? prepare = null)
    {
        if (profiler is null) return;
        prepare?.Invoke();
        profiler.Profile.Clear();
        var clock = Stopwatch.StartNew();
        run();
        profiler.Profile.Write(w, clock.Elapsed.TotalSeconds);
    }

    public static DType ParseDType(string text) => text.ToLowerInvariant() switch
    {
        "f32" or "fp32" or "float32" => DType.F32,
        "bf16" or "bfloat16" => DType.BF16,
        "f16" or "fp16" or "float16" => DType.F16,
        "q8_0" or "q8" => DType.Q8_0,
        _ => throw new UsageException($"--dtype must be f32, bf16, f16 or q8_0, got '{text}'"),
    };
}
