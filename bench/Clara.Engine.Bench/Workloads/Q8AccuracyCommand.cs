using System.CommandLine;
using System.Numerics.Tensors;
using Clara.CommandLine;
using Clara.Engine.Backends;
using Clara.Engine.Backends.Cpu;
using Clara.Engine.Models;
using Clara.Engine.Pipeline;
using Clara.Engine.Tensors;

namespace Clara.Engine.Bench.Workloads;

/// <summary>
/// <c>q8-accuracy</c>: how far a Q8_0 model's logits are from the same model in fp32, as one JSON object. The fp32
/// model decodes <c>--steps</c> greedy tokens after a seeded random prompt; the Q8_0 model is then fed the same tokens
/// (teacher forcing), so every position is compared on the same context: max and mean |logit error|, and how often
/// its top-1 token is the fp32 one. Last, the Q8_0 model decodes on its own: how many greedy tokens equal the fp32
/// ones, and where they first differ. Models: a random one by name (<c>--model small-125m</c>: the F32 weights and
/// those weights quantised, as <c>clara convert --dtype q8_0</c> stores them) or two files (<c>--fp32 A --q8 B</c>: an
/// HF directory or engine file each, e.g. B = <c>clara convert A --dtype q8_0 --out B</c>).
/// </summary>
public static class Q8AccuracyCommand
{
    public static Command Create()
    {
        var model = Options.Text("--model", "NAME", "small-125m", $"a random model ({string.Join(", ", RandomWeights.ConfigNames)}), when no files are given");
        var fp32 = Options.Text("--fp32", "PATH", "the reference model (HF directory or engine file)");
        var q8 = Options.Text("--q8", "PATH", "the same model stored Q8_0 (engine file or directory)");
        var prompt = Options.Int("--prompt", "TOKENS", 16, "random prompt tokens", min: 1);
        var steps = Options.Int("--steps", "N", 64, "greedy tokens decoded", min: 1);
        var threads = BenchOptions.Threads();
        var kind = Options.Text("--q8-kind", "auto|int8|widened", "auto",
            "the decode GEMV's inner product (auto: int8 up to two rows, widened beyond; int8: activations quantised too)");
        var command = new Command("q8-accuracy", "Q8_0 logits and greedy tokens against fp32, as one JSON object") { model, fp32, q8, prompt, steps, threads, kind };
        command.Validators.Add(r =>
        {
            if ((r.GetResult(fp32) is null) != (r.GetResult(q8) is null)) r.AddError("give both --fp32 and --q8, or neither");
        });
        return command.WithAction(p =>
        {
            BenchSettings.Threads = p.GetValue(threads) ?? BenchSettings.Threads;
            Q8StreamedGemv.KindOverride = ParseKind(p.GetValue(kind)!);
            return Run(p.GetValue(model)!, p.GetValue(fp32), p.GetValue(q8), p.GetValue(prompt), p.GetValue(steps));
        });
    }

    private static int Run(string modelName, string? fp32Path, string? q8Path, int promptLength, int steps)
    {
        using var backend = BenchSettings.BackendFactory();
        using var reference = fp32Path is null ? RandomWeights.Create(RandomWeights.NamedConfig(modelName), backend, 1, DType.F32) : Load(fp32Path, backend);
        using var quantised = q8Path is null ? RandomWeights.Create(RandomWeights.NamedConfig(modelName), backend, 1, DType.Q8_0) : Load(q8Path, backend);
        if (quantised.Layers[0][LinearSlot.Q].DType != DType.Q8_0) throw new UsageException($"{q8Path}: its projections are not Q8_0");
        var prompt = DecodeWorkload.PromptIds(reference.Config.VocabSize, promptLength);

        var fp32 = Decode(reference, backend, prompt, steps, forced: null);
        var forced = Decode(quantised, backend, prompt, steps, forced: fp32.Tokens);
        var free = Decode(quantised, backend, prompt, steps, forced: null);

        double maxError = 0, sumError = 0, sumSquares = 0;
        long count = 0;
        int top1 = 0;
        for (int i = 0; i < steps; i++)
        {
            var a = fp32.Logits[i];
            var b = forced.Logits[i];
            for (int v = 0; v < a.Length; v++)
            {
                double e = Math.Abs((double)b[v] - a[v]);
                maxError = Math.Max(maxError, e);
                sumError += e;
                sumSquares += (double)a[v] * a[v];
            }
            count += a.Length;
            if (forced.ArgMax[i] == fp32.Tokens[i]) top1++;
        }
        int equal = 0, firstDifference = -1;
        for (int i = 0; i < steps; i++)
        {
            if (free.Tokens[i] == fp32.Tokens[i]) equal++;
            else if (firstDifference < 0) firstDifference = i;
        }

        JsonReport.Print(w =>
        {
            w.WriteString("model", fp32Path ?? modelName);
            w.WriteString("q8_model", q8Path ?? $"{modelName} quantised");
            w.WriteNumber("prompt", promptLength);
            w.WriteNumber("steps", steps);
            w.WriteString("q8_kind", Q8StreamedGemv.KindOverride?.ToString() ?? "auto");
            w.WriteNumber("max_abs_logit_error", maxError);
            w.WriteNumber("mean_abs_logit_error", sumError / count);
            w.WriteNumber("fp32_logit_rms", Math.Sqrt(sumSquares / count));
            w.WriteNumber("top1_agreement_teacher_forced", top1);
            w.WriteNumber("greedy_tokens_equal", equal);
            w.WriteNumber("first_difference", firstDifference);
            w.WriteStartArray("fp32_tokens");
            foreach (int t in fp32.Tokens) w.WriteNumberValue(t);
            w.WriteEndArray();
            w.WriteStartArray("q8_tokens");
            foreach (int t in free.Tokens) w.WriteNumberValue(t);
            w.WriteEndArray();
        });
        return 0;
    }

    /// <summary>
    /// Greedy decoding of <paramref name="steps"/> tokens after the prompt, keeping every step's logits; with
    /// <paramref name="forced"/> the given tokens are fed instead of the model's own argmax.
    /// </summary>
    private static (int[] Tokens, int[] ArgMax, float[][] Logits) Decode(ModelWeights weights, IBackend backend, int[] prompt, int steps, int[]? forced)
    {
        using var runner = new DecoderRunner(weights, backend);
        using var cache = new KvCache(backend, weights.Config, 1, prompt.Length + steps);
        var logits = new float[steps][];
        var argMax = new int[steps];
        var tokens = new int[steps];
        logits[0] = runner.Forward(cache, new ForwardInputs(1, prompt.Length, prompt, Ones(prompt.Length), Enumerable.Range(0, prompt.Length).ToArray())
        {
            LogitRows = [prompt.Length - 1],
        }, null).Logits!;
        for (int step = 0; ; step++)
        {
            argMax[step] = TensorPrimitives.IndexOfMax(logits[step]);
            tokens[step] = forced?[step] ?? argMax[step];
            if (step + 1 == steps) break;
            logits[step + 1] = runner.Forward(cache, new ForwardInputs(1, 1, [tokens[step]], [1], [prompt.Length + step]), null).Logits!;
        }
        return (tokens, argMax, logits);
    }

    internal static Q8DotKind? ParseKind(string text) => text switch
    {
        "auto" => null,
        "int8" => Q8DotKind.Int8,
        "widened" => Q8DotKind.Widened,
        _ => throw new UsageException($"--q8-kind must be auto, int8 or widened, got '{text}'"),
    };

    private static int[] Ones(int count) => Enumerable.Repeat(1, count).ToArray();

    private static ModelWeights Load(string path, IBackend backend)
    {
        if (Directory.Exists(path)) return CheckpointLoader.LoadBase(path, backend);
        var (weights, adapters, _) = EngineFile.Load(path, backend);
        foreach (var a in adapters) a.Dispose();
        return weights;
    }
}
