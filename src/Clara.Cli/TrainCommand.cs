using System.Globalization;
using System.Security.Cryptography;
using Clara.Engine.Models;
using Clara.Engine.Pipeline;
using Clara.Engine.Tokenization;
using Clara.Engine.Training;
using Clara.Engine.Training.Data;
using Clara.Engine.Training.Optimization;

namespace Clara.Cli;

/// <summary>clara train: one stage of spec §6 over a JSON-lines file, to a model directory with the trained adapters.</summary>
internal sealed class TrainCommand : ICommand
{
    public string Name => "train";
    public string Usage =>
        "train scp|instruct|e2e|lm --model DIR --data FILE.jsonl --out DIR [--steps N | --epochs E (default 1)]\n" +
        "      [--lr 1e-4] [--warmup 0] [--batch 1] [--accumulate 1] [--clip 1.0 (0: off)] [--weight-decay 0.01] [--seed 0]\n" +
        "      [--eval FILE.jsonl --eval-every N (0: at the end)] [--save-every 100 (0: at the end)] [--resume]\n" +
        "      [--adapters a,b (default: the stage's)] [--k K (e2e text, default clara.json top_k)] [--lambda 1.0 (scp)]\n" +
        "      [--temperature T (e2e top-k τ)] [--device cpu|cuda[:N]] [--threads N]";
    public string Summary => "train a stage (scp, instruct, e2e, lm) and write a model directory with the trained adapters (PEFT layout)";

    public int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var a = new CommandArguments(args, new HashSet<string> { "resume" });
        if (a.Positional.Count != 1) throw new UsageException("name one stage: scp, instruct, e2e or lm");
        TrainingStage stage;
        try { stage = TrainingStages.Parse(a.Positional[0]); }
        catch (FormatException e) { throw new UsageException(e.Message); }

        string modelPath = a.Required("model"), dataPath = a.Required("data"), outPath = a.Required("out");
        string? evalPath = a.Optional("eval");
        bool resume = a.Flag("resume");
        var trainer = TrainerSettings(a);
        var adapters = a.Optional("adapters")?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        int? k = a.OptionalInt("k");
        var objectiveOptions = new TrainingOptions
        {
            AlignmentWeight = a.OptionalFloat("lambda") ?? 1f,
            TrainableAdapters = adapters,
            Temperature = a.OptionalFloat("temperature"),
        };
        if (k is < 1) throw new UsageException($"--k must be ≥ 1, got {k}");
        if (evalPath is null && trainer.EvalEvery > 0) throw new UsageException("--eval-every needs --eval FILE.jsonl");
        if (!Directory.Exists(modelPath)) throw new UsageException($"--model {modelPath}: training needs a model directory");
        using var backend = a.Backend();
        a.RejectUnknown();

        // Everything is validated before the output directory is touched or a step runs.
        using var model = TrainableModel.Load(modelPath, stage, backend);
        model.CheckAdapters(adapters);
        using var objective = model.CreateObjective(stage, objectiveOptions);
        var parser = Parser(stage, model, k);
        var train = TrainingDataFile.Load(dataPath, parser, objective.Rules);
        var eval = evalPath is null ? null : TrainingDataFile.Load(evalPath, parser, objective.Rules);
        trainer.TotalSteps(train.Count);
        TrainingOutputDirectory.Prepare(modelPath, outPath, resume, baseWeightsTrained: stage == TrainingStage.Lm);

        var runSettings = new Dictionary<string, string>
        {
            ["stage"] = stage.Name(),
            ["data_sha256"] = Sha256(dataPath),
            ["eval_sha256"] = evalPath is null ? "" : Sha256(evalPath),
            ["adapters"] = adapters is null ? "" : string.Join(",", adapters),
            ["lambda"] = objectiveOptions.AlignmentWeight.ToString("R", CultureInfo.InvariantCulture),
            ["temperature"] = objectiveOptions.Temperature?.ToString("R", CultureInfo.InvariantCulture) ?? "",
            ["k"] = k?.ToString(CultureInfo.InvariantCulture) ?? "",
        };
        using var reporter = new ConsoleTrainingReporter(stderr, live: ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected);
        var run = new Trainer(objective, train, eval, trainer, outPath, runSettings, reporter);
        reporter.Message($"{stage.Name()}: {train.Count} examples, {run.TotalSteps} steps of {trainer.Batch}×{trainer.Accumulate}, " +
                         $"{objective.Parameters.ElementCount:N0} trainable values in {objective.Parameters.Parameters.Count} tensors");

        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            // The first Ctrl-C stops after the update in flight and saves; a second one ends the process at once
            // (the checkpoint on disk is never partial, so that loses at most the steps since it).
            if (cancel.IsCancellationRequested) return;
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            var result = run.Run(resume, cancel.Token);
            stdout.WriteLine($"{(result.Cancelled ? "stopped" : "trained")} {result.Step}/{result.TotalSteps} steps" +
                             (result.LastLoss is double l ? $", last loss {l:F4}" : "") +
                             (result.LastEvalLoss is double ev ? $", eval loss {ev:F4}" : "") + $"; model in {outPath}");
            return result.Cancelled ? 130 : 0;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static TrainerOptions TrainerSettings(CommandArguments a)
    {
        double? Double(string name)
        {
            var v = a.Optional(name);
            if (v is null) return null;
            return double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
                ? d : throw new UsageException($"--{name} expects a number, got '{v}'");
        }
        int? steps = a.OptionalInt("steps");
        double? epochs = Double("epochs");
        if (steps is not null && epochs is not null) throw new UsageException("give --steps or --epochs, not both");
        var optimizer = new OptimizerSettings
        {
            LearningRate = Double("lr") ?? 1e-4,
            WarmupSteps = a.OptionalInt("warmup") ?? 0,
            ClipNorm = Double("clip") ?? 1.0,
            WeightDecay = Double("weight-decay") ?? 0.01,
        };
        if (!(optimizer.LearningRate > 0)) throw new UsageException($"--lr must be > 0, got {optimizer.LearningRate}");
        if (optimizer.WarmupSteps < 0) throw new UsageException($"--warmup must be ≥ 0, got {optimizer.WarmupSteps}");
        if (optimizer.WeightDecay < 0) throw new UsageException($"--weight-decay must be ≥ 0, got {optimizer.WeightDecay}");
        var seed = a.Optional("seed") is { } s
            ? ulong.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new UsageException($"--seed expects a non-negative integer, got '{s}'")
            : 0UL;
        var options = new TrainerOptions
        {
            Steps = steps,
            Epochs = epochs,
            Batch = a.OptionalInt("batch") ?? 1,
            Accumulate = a.OptionalInt("accumulate") ?? 1,
            Seed = seed,
            SaveEvery = a.OptionalInt("save-every") ?? 100,
            EvalEvery = a.OptionalInt("eval-every") ?? 0,
            Optimizer = optimizer,
        };
        try { options.TotalSteps(1); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        return options;
    }

    private static IExampleLineParser Parser(TrainingStage stage, TrainableModel model, int? k) => stage switch
    {
        TrainingStage.Lm => new LmLineParser(model.Text),
        TrainingStage.Scp => new ScpLineParser(model.Text),
        TrainingStage.Instruct => new InstructLineParser(model.Text),
        TrainingStage.E2e => new E2eLineParser(model.Text, k ?? model.Clara!.Config.TopK),
        _ => throw new ArgumentOutOfRangeException(nameof(stage)),
    };

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return System.Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

/// <summary>
/// The model a stage trains: a CLaRa directory, or for stage lm a plain HF directory (no clara.json) whose every base
/// weight trains.
/// </summary>
internal sealed class TrainableModel : IDisposable
{
    private readonly DecoderModel? _plain;

    private TrainableModel(ClaraModel? clara, DecoderModel? plain, ExampleText text)
    {
        (Clara, _plain, Text) = (clara, plain, text);
    }

    public ClaraModel? Clara { get; }
    public ExampleText Text { get; }
    private DecoderModel Decoder => Clara?.Decoder ?? _plain!;

    public static TrainableModel Load(string directory, TrainingStage stage, Clara.Engine.Backends.IBackend backend)
    {
        if (stage == TrainingStage.Lm && !File.Exists(Path.Combine(directory, "clara.json")))
        {
            var decoder = DecoderModel.Load(directory, backend);
            try
            {
                var tokenizer = TokenizerLoader.Exists(directory) ? TokenizerLoader.Load(directory) : null;
                var config = decoder.Config;
                return new TrainableModel(null, decoder, ExampleText.For(tokenizer, tokenizer?.BosId ?? config.BosTokenId,
                    tokenizer?.EosId ?? (config.EosTokenIds.Count > 0 ? config.EosTokenIds[0] : null), directory));
            }
            catch
            {
                decoder.Dispose();
                throw;
            }
        }
        var clara = ClaraModel.Load(directory, backend);
        return new TrainableModel(clara, null, ExampleText.For(clara));
    }

    /// <summary>Refuses --adapters names the model does not have, listing the ones it has.</summary>
    public void CheckAdapters(IReadOnlyList<string>? names)
    {
        if (names is null) return;
        if (names.Count == 0) throw new UsageException("--adapters names no adapter");
        var known = Decoder.AdapterNames;
        foreach (var name in names)
            if (!known.Contains(name))
                throw new ArgumentException($"--adapters: unknown adapter '{name}' (the model has: {string.Join(", ", known.Order())})");
    }

    public ITrainingObjective CreateObjective(TrainingStage stage, TrainingOptions options) =>
        Clara is not null ? TrainingObjectives.Create(Clara, stage, options) : TrainingObjectives.CreateLm(_plain!, options);

    public void Dispose()
    {
        Clara?.Dispose();
        _plain?.Dispose();
    }
}
