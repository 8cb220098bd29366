using System.Diagnostics;
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
    public const string Usage =
        "workload --model tiny|small-125m|mistral-7b [--dtype f32|bf16] [--threads N] [--lora RANK (16; 0 = none)] [--repeat N (3)]\n" +
        "         [--compress DOCSxROWLENGTH (8x275)] [--decode BATCHxSTEPS[,BATCHxSTEPS..] (1x64)] [--prompt TOKENS (16)] [--prefill TOKENS]\n" +
        "         [--ask] [--ask-new-tokens N (32)] [--ask-candidates N (20)] [--profile (per-kernel time of one more run)]";

    public static int Run(IReadOnlyList<string> args)
    {
        var cli = new CommandLine(args);
        string modelName = cli.String("--model") ?? throw new ArgumentException("--model is required\n" + Usage);
        var dtype = ParseDType(cli.String("--dtype") ?? "bf16");
        BenchSettings.Threads = cli.Int("--threads", BenchSettings.Threads);
        int loraRank = cli.Has("--lora") ? int.Parse(cli.String("--lora")!, System.Globalization.CultureInfo.InvariantCulture) : 16;
        int repeat = cli.Int("--repeat", 3);
        var compress = cli.Pair("--compress");
        var decodes = cli.Pairs("--decode");
        int prompt = cli.Int("--prompt", 16);
        int? prefill = cli.Has("--prefill") ? cli.Int("--prefill", 128) : null;
        bool ask = cli.Has("--ask");
        int askTokens = cli.Int("--ask-new-tokens", 32);
        int askCandidates = cli.Int("--ask-candidates", 20);
        bool profile = cli.Has("--profile");
        cli.RejectUnknown();
        if (compress is null && decodes.Count == 0 && prefill is null && !ask)
            throw new ArgumentException("choose at least one of --compress, --decode, --prefill, --ask\n" + Usage);

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
            using (var model = BenchModel.Create(modelName, dtype, loraRank, backend))
            {
                w.WriteNumber("decode_weight_bytes", model.DecodeWeightBytes);
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
                    var timing = Timing.Measure(repeat, work.Run, work.Prepare);
                    w.WriteStartObject(decodes.Count == 1 ? "decode" : $"decode_b{batch}");
                    w.WriteNumber("batch", batch);
                    w.WriteNumber("prompt", prompt);
                    w.WriteNumber("steps", steps);
                    JsonReport.WriteTiming(w, timing, work.Tokens);
                    // Every step streams all weights once, whatever the batch.
                    w.WriteNumber("weight_gbps", (double)model.DecodeWeightBytes * steps / timing.BestSeconds / 1e9);
                    w.WriteStartArray("ids");
                    foreach (var id in work.Generated) w.WriteNumberValue(id);
                    w.WriteEndArray();
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
            w.WriteNumber("peak_rss_mb", PeakRss.Megabytes());
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
        _ => throw new ArgumentException($"--dtype must be f32, bf16 or f16, got '{text}'"),
    };
}
