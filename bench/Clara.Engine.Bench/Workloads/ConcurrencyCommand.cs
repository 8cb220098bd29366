using System.CommandLine;
using System.Diagnostics;
using Clara.CommandLine;
using System.Text.Json;
using Clara.Engine.Bench.Models;
using Clara.Engine.Models;
using Clara.Engine.Pipeline;
using Clara.Engine.Pipeline.Scheduling;
using Clara.Engine.Tensors;

namespace Clara.Engine.Bench.Workloads;

/// <summary>
/// <c>concurrency</c>: one shared model, the same fixed set of requests sent one after another (the sequential
/// baseline: default scheduling, generations decoded alone) and then by 1, 4, 16 … concurrent callers (continuous
/// batching). Prints generated tokens/s for asks and documents/s for single-document compressions, with p50/p99
/// latency per request, and how many answers are token-identical to the sequential ones. One JSON object.
/// </summary>
public static class ConcurrencyCommand
{
    private static readonly Option<string> ModelOption = BenchOptions.Model("tiny", "small-125m");
    private static readonly Option<string> DTypeOption = Options.Text("--dtype", "f32|bf16", "bf16", "the weights' dtype");
    private static readonly Option<int?> ThreadsOption = BenchOptions.Threads();
    private static readonly Option<int[]> CallersOption = BenchOptions.Counts("--callers", "1,4,16", [1, 4, 16], "concurrent callers, one run each");
    private static readonly Option<int> AsksOption = Options.Int("--asks", "N", 32, "asks per run", min: 1);
    private static readonly Option<int> MaxNewOption = Options.Int("--max-new-tokens", "N", 32, "tokens each ask generates", min: 1);
    private static readonly Option<int> CandidatesOption = Options.Int("--candidates", "N", 20, "documents each ask ranks", min: 1);
    private static readonly Option<int> DocumentsOption = Options.Int("--documents", "N", 32, "single-document compressions per run", min: 1);
    private static readonly Option<int> DecodeBatchOption = Options.Int("--decode-batch", "N", 16, "the largest continuous decode batch", min: 1);

    public static Command Create()
    {
        DTypeOption.AcceptOnlyFromAmong("f32", "bf16");
        return new Command("concurrency", "one shared model under 1, 4, 16 … concurrent callers against the sequential baseline, as one JSON object")
        {
            ModelOption, DTypeOption, ThreadsOption, CallersOption, AsksOption, MaxNewOption, CandidatesOption, DocumentsOption, DecodeBatchOption,
        }.WithAction(Run);
    }

    private static int Run(ParseResult p)
    {
        string modelName = p.GetValue(ModelOption)!;
        var dtype = p.GetValue(DTypeOption) == "f32" ? DType.F32 : DType.BF16;
        BenchSettings.Threads = p.GetValue(ThreadsOption) ?? BenchSettings.Threads;
        var callers = p.GetValue(CallersOption)!;
        int asks = p.GetValue(AsksOption), maxNew = p.GetValue(MaxNewOption), candidates = p.GetValue(CandidatesOption);
        int documents = p.GetValue(DocumentsOption), decodeBatch = p.GetValue(DecodeBatchOption);

        var config = RandomWeights.NamedConfig(modelName);
        var clara = BenchClaraConfig.Create(config.VocabSize);
        string directory = Path.Combine(Path.GetTempPath(), $"clara-bench-concurrency-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            RandomClaraDirectory.Write(directory, config, clara, dtype, seed: 1);
            var texts = BenchClaraConfig.RandomTexts(clara, candidates, clara.DocMaxLength, seed: 5);
            var questions = BenchClaraConfig.RandomTexts(clara, asks, 16, seed: 6);
            var singleDocs = BenchClaraConfig.RandomTexts(clara, documents, clara.DocMaxLength, seed: 7);
            var options = new GenerationOptions { MaxNewTokens = maxNew };

            JsonReport.Print(w =>
            {
                w.WriteString("model", modelName);
                w.WriteString("dtype", dtype.ToString());
                w.WriteNumber("threads", BenchSettings.Threads);
                w.WriteNumber("asks", asks);
                w.WriteNumber("max_new_tokens", maxNew);
                w.WriteNumber("candidates", candidates);
                w.WriteNumber("documents", documents);
                w.WriteString("load_average_before", LoadAverage());

                int[][] sequentialAnswers;
                using (var model = ClaraModel.Load(directory, BenchSettings.BackendFactory()))
                {
                    var memory = model.Compress(texts);
                    Warm(model, memory, questions[0], options);
                    var before = model.Scheduler.Statistics;
                    var run = Measure(1, asks, i => model.Ask(questions[i], memory, options).AnswerIds);
                    sequentialAnswers = run.Results;
                    WriteRun(w, "ask_sequential", run, sequentialAnswers, before, model.Scheduler.Statistics);
                    before = model.Scheduler.Statistics;
                    var docs = Measure(1, documents, i => { model.Compress([singleDocs[i]]); return Array.Empty<int>(); });
                    WriteRun(w, "compress_sequential", docs, null, before, model.Scheduler.Statistics);
                }
                foreach (int c in callers)
                {
                    var scheduling = new SchedulerOptions { Generation = GenerationBatching.Continuous, MaxDecodeBatch = decodeBatch, QueueCapacity = 1024 };
                    using var model = ClaraModel.Load(directory, BenchSettings.BackendFactory(), scheduling);
                    var memory = model.Compress(texts);
                    Warm(model, memory, questions[0], options);
                    var before = model.Scheduler.Statistics;
                    var run = Measure(c, asks, i => model.Ask(questions[i], memory, options).AnswerIds);
                    WriteRun(w, $"ask_{c}_callers", run, sequentialAnswers, before, model.Scheduler.Statistics);
                    before = model.Scheduler.Statistics;
                    var docs = Measure(c, documents, i => { model.Compress([singleDocs[i]]); return Array.Empty<int>(); });
                    WriteRun(w, $"compress_{c}_callers", docs, null, before, model.Scheduler.Statistics);
                }
            });
            return 0;
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    private static void Warm(ClaraModel model, CompressedDocuments memory, IReadOnlyList<int> question, GenerationOptions options) =>
        model.Ask(question, memory, options with { MaxNewTokens = 2 });

    /// <summary>Requests 0 … count−1 on <paramref name="callers"/> threads (closed loop: each sends its next when the last returns).</summary>
    private static RunResult Measure(int callers, int count, Func<int, int[]> request)
    {
        var results = new int[count][];
        var latencies = new double[count];
        int next = -1;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var threads = Enumerable.Range(0, callers).Select(_ => new Thread(() =>
        {
            for (int i; (i = Interlocked.Increment(ref next)) < count;)
            {
                long start = Stopwatch.GetTimestamp();
                results[i] = request(i);
                latencies[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        double seconds = clock.Elapsed.TotalSeconds;
        return new RunResult(callers, seconds, results, latencies, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
    }

    private static void WriteRun(Utf8JsonWriter w, string name, RunResult run, int[][]? reference, SchedulerStatistics before, SchedulerStatistics statistics)
    {
        w.WriteStartObject(name);
        w.WriteNumber("callers", run.Callers);
        w.WriteNumber("requests", run.Results.Length);
        w.WriteNumber("wall_s", run.Seconds);
        long tokens = run.Results.Sum(r => (long)r.Length);
        if (tokens > 0)
        {
            w.WriteNumber("tokens", tokens);
            w.WriteNumber("tokens_per_s", tokens / run.Seconds);
        }
        else
        {
            w.WriteNumber("docs_per_s", run.Results.Length / run.Seconds);
        }
        var sorted = run.Latencies.Order().ToArray();
        w.WriteNumber("p50_ms", 1000 * Percentile(sorted, 0.50));
        w.WriteNumber("p99_ms", 1000 * Percentile(sorted, 0.99));
        if (reference is not null)
            w.WriteNumber("answers_identical_to_sequential", run.Results.Zip(reference).Count(p => p.First.SequenceEqual(p.Second)));
        w.WriteNumber("largest_decode_batch", statistics.LargestDecodeBatch);
        w.WriteNumber("compression_forwards", statistics.CompressionForwards - before.CompressionForwards);
        w.WriteNumber("prefill_forwards", statistics.PrefillForwards - before.PrefillForwards);
        // The worker's seconds per stage over this run (the statistics are cumulative: the run's share is the difference).
        w.WriteNumber("compression_s", statistics.CompressionSeconds - before.CompressionSeconds);
        w.WriteNumber("prefill_s", statistics.PrefillSeconds - before.PrefillSeconds);
        w.WriteNumber("decode_s", statistics.DecodeSeconds - before.DecodeSeconds);
        w.WriteNumber("cpu_s", run.CpuSeconds);
        w.WriteString("load_average_after", LoadAverage());
        w.WriteEndObject();
    }

    /// <summary>The host's 1-, 5- and 15-minute load averages (Linux), to judge how shared the CPUs were.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    /// <summary>One run: its wall seconds, each request's result and latency, and the process's CPU seconds meanwhile.</summary>
    private sealed record RunResult(int Callers, double Seconds, int[][] Results, double[] Latencies, double CpuSeconds);
}
