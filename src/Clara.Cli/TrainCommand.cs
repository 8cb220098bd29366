using System.CommandLine;
using System.Globalization;
using Clara.CommandLine;
using Clara.Engine;
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
    private readonly Argument<TrainingStage> _stage = StageOption.CreateArgument();
    private readonly Option<string> _model = ModelOption.Create();
    private readonly Option<string> _data = Options.RequiredText("--data", "FILE.jsonl", "the training examples");
    private readonly Option<string> _out = Options.RequiredText("--out", "DIR", "the trained model directory");
    private readonly TrainerOptionSet _trainer = new();
    private readonly Option<string> _eval = Options.Text("--eval", "FILE.jsonl", "examples to evaluate on");
    private readonly Option<bool> _resume = Options.Flag("--resume", "continue from --out's checkpoint");
    private readonly Option<string[]?> _adapters = Options.Names("--adapters", "a,b", "the adapters to train (default: the stage's)");
    private readonly Option<int?> _k = Options.OptionalInt("--k", "K", "documents per e2e text line (default: clara.json top_k)", min: 1);
    private readonly Option<float> _lambda = Options.Float("--lambda", "W", 1f, "scp and scp-rank alignment weight");
    private readonly Option<float> _rankWeight = Options.Float("--rank-weight", "W", 1f, "scp-rank: weight of the rank loss beside the reading loss", min: 0);
    private readonly Option<float?> _temperature = Options.OptionalFloat("--temperature", "T", "τ of the e2e top-k and of the rank and scp-rank softmax (default: clara.json's temperature)");
    private readonly Option<bool> _checkpoint = Options.Flag("--checkpoint-activations",
        "recompute each decoder block in backward instead of keeping its activations (less memory, one more forward)");
    private readonly Option<int> _memoryCache = Options.Int("--memory-cache-mb", "MB", 1024,
        "document memories kept while the compressor is frozen (instruct, e2e, rank of the query reasoner alone): each document is compressed once; 0 compresses every batch's documents again", min: 0);
    private readonly BackendOptions _backend = new();

    public Command Create() =>
        new Command("train", "train a stage (scp, instruct, e2e, lm, rank: the query reasoner's warm start, or scp-rank: reading and ranking in one batch) and write a model directory with the trained adapters (PEFT layout)")
            .With([_stage, _model, _data, _out, .. _trainer.All, _eval, _resume, _adapters, _k, _lambda, _rankWeight, _temperature, _checkpoint, _memoryCache, .. _backend.All]).With(Run);

    private int Run(ParseResult p, TextWriter stdout, TextWriter stderr)
    {
        var stage = p.GetValue(_stage);
        string modelPath = p.GetValue(_model)!, dataPath = p.GetValue(_data)!, outPath = p.GetValue(_out)!;
        string? evalPath = p.GetValue(_eval);
        bool resume = p.GetValue(_resume);
        var trainer = _trainer.Read(p);
        var adapters = p.GivenValue(_adapters);
        int? k = p.GetValue(_k);
        var objectiveOptions = new TrainingOptions
        {
            AlignmentWeight = p.GetValue(_lambda),
            RankWeight = p.GetValue(_rankWeight),
            TrainableAdapters = adapters,
            Temperature = p.GetValue(_temperature),
            CheckpointActivations = p.GetValue(_checkpoint),
            MemoryCacheMegabytes = p.GetValue(_memoryCache),
        };
        if (evalPath is null && trainer.EvalEvery > 0) throw new UsageException("--eval-every needs --eval FILE.jsonl");
        if (!Directory.Exists(modelPath)) throw new UsageException($"--model {modelPath}: training needs a model directory");
        using var backend = _backend.Create(p);

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
        // Only where it decides the numbers, so that checkpoints of the other stages from before it existed still resume.
        if (stage == TrainingStage.ScpRank) runSettings["rank_weight"] = objectiveOptions.RankWeight.ToString("R", CultureInfo.InvariantCulture);
        using var reporter = new ConsoleTrainingReporter(stderr, live: ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected);
        var run = new Trainer(objective, train, eval, trainer, outPath, runSettings, reporter);
        if (!resume && RepeatedDataOrder.Warning(modelPath, run.Settings()) is { } repeated) reporter.Message(repeated);
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

    private static IExampleLineParser Parser(TrainingStage stage, TrainableModel model, int? k) => stage switch
    {
        TrainingStage.Lm => new LmLineParser(model.Text),
        TrainingStage.Scp => new ScpLineParser(model.Text),
        TrainingStage.Instruct => new InstructLineParser(model.Text),
        TrainingStage.E2e => new E2eLineParser(model.Text, k ?? model.Clara!.Config.TopK),
        TrainingStage.Rank => new RankLineParser(model.Text),
        TrainingStage.ScpRank => new ScpRankLineParser(model.Text),
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
                throw new InvalidInputException($"--adapters: unknown adapter '{name}' (the model has: {string.Join(", ", known.Order())})");
    }

    public ITrainingObjective CreateObjective(TrainingStage stage, TrainingOptions options) =>
        Clara is not null ? TrainingObjectives.Create(Clara, stage, options) : TrainingObjectives.CreateLm(_plain!, options);

    public void Dispose()
    {
        Clara?.Dispose();
        _plain?.Dispose();
    }
}
