using System.CommandLine;
using System.Diagnostics;
using Clara.CommandLine;
using Clara.Engine.Bench.Profiling;
using Clara.Engine.Bench.Training;

namespace Clara.Engine.Bench.Workloads;

/// <summary>
/// <c>train</c>: LoRA training steps on a random-weight decoder (<see cref="TrainingStepWorkload"/>), one JSON object
/// on stdout with the time of each step, tokens/s and this process's resident memory (bench/train_side_by_side.py
/// parses it). Example: <c>train --model small-125m --threads 2 --batch 4 --length 512 --lora 16 --steps 3</c>.
/// </summary>
public static class TrainCommand
{
    private static readonly Option<string> ModelOption = BenchOptions.Model("tiny", "small-125m");
    private static readonly Option<int?> ThreadsOption = BenchOptions.Threads();
    private static readonly Option<int> BatchOption = Options.Int("--batch", "B", 4, "sequences per step", min: 1);
    private static readonly Option<int> LengthOption = Options.Int("--length", "T", 512, "tokens per sequence", min: 1);
    private static readonly Option<int> LoraOption = Options.Int("--lora", "RANK", 16, "LoRA rank", min: 1);
    private static readonly Option<int> WarmupOption = Options.Int("--warmup", "N", 1, "untimed steps first", min: 1);
    private static readonly Option<int> StepsOption = Options.Int("--steps", "N", 3, "timed steps", min: 1);
    private static readonly Option<bool> ProfileOption = Options.Flag("--profile", "per-kernel time of one more step");
    private static readonly Option<bool> CheckpointOption = Options.Flag("--checkpoint-activations", "recompute each block in backward");

    public static Command Create() =>
        new Command("train", "LoRA training steps on a random-weight decoder, as one JSON object")
        {
            ModelOption, ThreadsOption, BatchOption, LengthOption, LoraOption, WarmupOption, StepsOption, ProfileOption, CheckpointOption,
        }.WithAction(Run);

    private static int Run(ParseResult p)
    {
        string modelName = p.GetValue(ModelOption)!;
        BenchSettings.Threads = p.GetValue(ThreadsOption) ?? BenchSettings.Threads;
        int batch = p.GetValue(BatchOption), length = p.GetValue(LengthOption), rank = p.GetValue(LoraOption);
        int warmup = p.GetValue(WarmupOption), steps = p.GetValue(StepsOption);
        bool profile = p.GetValue(ProfileOption), checkpoint = p.GetValue(CheckpointOption);

        var inner = BenchSettings.BackendFactory();
        using var backend = profile ? new ProfilingBackend(inner) : inner;
        var setupClock = Stopwatch.StartNew();
        using var work = new TrainingStepWorkload(modelName, batch, length, rank, backend, checkpointActivations: checkpoint);
        double setupSeconds = setupClock.Elapsed.TotalSeconds;
        long rssAfterSetup = ProcessMemory.ResidentBytes;

        var losses = new List<float>();
        for (int i = 0; i < warmup; i++)
        {
            work.Run();
            losses.Add(work.LastLoss);
        }
        var seconds = new double[steps];
        var cpuSeconds = new double[steps];
        using var process = Process.GetCurrentProcess();
        for (int i = 0; i < steps; i++)
        {
            process.Refresh();
            var cpu = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            work.Run();
            seconds[i] = clock.Elapsed.TotalSeconds;
            process.Refresh();
            cpuSeconds[i] = (process.TotalProcessorTime - cpu).TotalSeconds;
            losses.Add(work.LastLoss);
        }
        long peak = ProcessMemory.PeakResidentBytes;
        var sorted = seconds.Order().ToArray();

        JsonReport.Print(w =>
        {
            w.WriteString("model", modelName);
            w.WriteNumber("parameters", work.Config.ParameterCount);
            w.WriteNumber("trainable_parameters", work.TrainableParameters);
            w.WriteString("backend", backend.Name);
            w.WriteNumber("threads", BenchSettings.Threads);
            w.WriteNumber("batch", batch);
            w.WriteNumber("length", length);
            w.WriteNumber("lora_rank", rank);
            w.WriteBoolean("checkpoint_activations", checkpoint);
            w.WriteNumber("tokens_per_step", work.Tokens);
            w.WriteNumber("setup_s", setupSeconds);
            w.WriteStartArray("step_s");
            foreach (var s in seconds) w.WriteNumberValue(s);
            w.WriteEndArray();
            // CPU seconds of the whole process per step (all threads, spinning included): on a loaded machine a
            // steadier measure of the work a step costs than its wall time.
            w.WriteStartArray("step_cpu_s");
            foreach (var s in cpuSeconds) w.WriteNumberValue(s);
            w.WriteEndArray();
            w.WriteNumber("best_s", sorted[0]);
            w.WriteNumber("median_s", sorted[steps / 2]);
            w.WriteNumber("tokens_per_s", work.Tokens / sorted[0]);
            w.WriteNumber("tokens_per_s_median", work.Tokens / sorted[steps / 2]);
            w.WriteStartArray("loss");
            foreach (var l in losses) w.WriteNumberValue(l);
            w.WriteEndArray();
            w.WriteNumber("rss_after_setup_bytes", rssAfterSetup);
            w.WriteNumber("peak_rss_bytes", peak);
            if (backend is ProfilingBackend profiler)
            {
                profiler.Profile.Clear();
                var clock = Stopwatch.StartNew();
                work.Run();
                profiler.Profile.Write(w, clock.Elapsed.TotalSeconds);
            }
        });
        return 0;
    }
}
