using System.Diagnostics;
using System.Globalization;
using Clara.Engine.Training.Data;
using Clara.Engine.Training.Optimization;

namespace Clara.Engine.Training;

/// <summary>
/// The training loop over one stage objective: seeded shuffled micro-batches, token-weighted gradient accumulation,
/// AdamW with clipping and the warmup-cosine schedule, periodic evaluation, atomic checkpoints, exact resume, and
/// cancellation that saves before returning.
/// </summary>
/// <remarks>
/// Everything a step's numbers depend on is in the checkpoint or fixed by the settings it records: the trainable values
/// and AdamW moments, the step, and the data position (the shuffled order is a function of the seed and the position),
/// so N steps, a stop, a resume and N more steps give the same weights as 2N straight. Cancellation is honoured between
/// updates: the update in flight finishes, then the run saves and returns.
/// </remarks>
public sealed class Trainer
{
    public const string CheckpointDirectory = "checkpoint";

    private readonly ITrainingObjective _objective;
    private readonly IReadOnlyList<TrainingExample> _train;
    private readonly IReadOnlyList<TrainingExample>? _eval;
    private readonly TrainerOptions _options;
    private readonly string _output;
    private readonly IReadOnlyDictionary<string, string> _runSettings;
    private readonly ITrainingReporter _reporter;
    private readonly ExampleTokens _tokens;

    /// <param name="runSettings">What else decides the numbers (stage, model, data file hashes…), recorded in checkpoints.</param>
    public Trainer(ITrainingObjective objective, IReadOnlyList<TrainingExample> train, IReadOnlyList<TrainingExample>? eval,
        TrainerOptions options, string outputDirectory, IReadOnlyDictionary<string, string>? runSettings = null,
        ITrainingReporter? reporter = null, ExampleTokens? tokens = null)
    {
        _objective = objective ?? throw new ArgumentNullException(nameof(objective));
        _train = train is { Count: > 0 } ? train : throw new ArgumentException("there are no training examples", nameof(train));
        _eval = eval is { Count: 0 } ? throw new ArgumentException("the evaluation set is empty", nameof(eval)) : eval;
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _output = outputDirectory ?? throw new ArgumentNullException(nameof(outputDirectory));
        _runSettings = runSettings ?? new Dictionary<string, string>();
        _reporter = reporter ?? SilentTrainingReporter.Instance;
        _tokens = tokens ?? ExampleTokens.Stages;
        TotalSteps = options.TotalSteps(train.Count);
        OptimizerSettings = options.Optimizer with { TotalSteps = TotalSteps };
        OptimizerSettings.Validate();
    }

    public int TotalSteps { get; }
    public OptimizerSettings OptimizerSettings { get; }
    public string CheckpointPath => Path.Combine(_output, CheckpointDirectory, TrainingCheckpoint.FileName);

    /// <summary>Trains to the end or until <paramref name="cancellation"/>; saves a checkpoint either way.</summary>
    public TrainingResult Run(bool resume, CancellationToken cancellation = default)
    {
        Directory.CreateDirectory(_output);
        var store = _objective.Parameters;
        using var optimizer = new AdamWOptimizer(store, OptimizerSettings);
        using var accumulator = new GradientAccumulator(store, _tokens.Targets);
        var order = new ShuffledOrder(_train.Count, _options.Seed);
        var settings = Settings();

        if (resume)
        {
            var state = TrainingCheckpoint.Load(CheckpointPath, store);
            RequireSameRun(state, settings);
            optimizer.StepsTaken = state.Step;
            order.Position = state.DataPosition;
            _reporter.Message($"resumed from {CheckpointPath} at step {state.Step} of {TotalSteps}");
        }
        else if (File.Exists(CheckpointPath))
        {
            throw new IOException($"{_output} already holds a run's checkpoint: pass --resume to continue it, or choose another output directory");
        }

        using var metrics = new TrainingMetricsLog(_output, optimizer.StepsTaken);
        int savedStep = resume ? optimizer.StepsTaken : -1, evaluatedStep = -1;
        double? lastLoss = null, lastEval = null;
        long tokens = 0;
        int stepsThisRun = 0;
        var clock = Stopwatch.StartNew();

        while (optimizer.StepsTaken < TotalSteps && !cancellation.IsCancellationRequested)
        {
            var microBatches = new List<IReadOnlyList<TrainingExample>>(_options.Accumulate);
            for (int a = 0; a < _options.Accumulate; a++)
                microBatches.Add(order.Next(_options.Batch).Select(i => _train[i]).ToArray());
            double loss = accumulator.Run(_objective, microBatches);
            if (!double.IsFinite(loss))
                throw new InvalidOperationException($"step {optimizer.StepsTaken + 1}: the loss is {loss}; stopped without saving, the last checkpoint is intact");
            var update = optimizer.Step();
            lastLoss = loss;
            stepsThisRun++;
            tokens += microBatches.Sum(b => b.Sum(e => (long)_tokens.Inputs(e)));
            var elapsed = clock.Elapsed;
            var report = new TrainingStepReport(update.Step, TotalSteps, loss, update.LearningRate, update.GradientNorm, update.ClipScale,
                order.Epoch, tokens, tokens / Math.Max(elapsed.TotalSeconds, 1e-9), elapsed,
                elapsed / stepsThisRun * (TotalSteps - update.Step));
            metrics.Step(report);
            _reporter.Step(report);

            if (_eval is not null && _options.EvalEvery > 0 && update.Step % _options.EvalEvery == 0)
            {
                lastEval = Evaluate(metrics, update.Step);
                evaluatedStep = update.Step;
            }
            if (_options.SaveEvery > 0 && update.Step % _options.SaveEvery == 0)
            {
                Save(store, optimizer.StepsTaken, order.Position, settings);
                savedStep = update.Step;
            }
        }

        bool cancelled = optimizer.StepsTaken < TotalSteps;
        if (!cancelled && _eval is not null && evaluatedStep != optimizer.StepsTaken)
            lastEval = Evaluate(metrics, optimizer.StepsTaken);
        if (savedStep != optimizer.StepsTaken || !File.Exists(CheckpointPath))
            Save(store, optimizer.StepsTaken, order.Position, settings);
        if (cancelled) _reporter.Message($"stopped at step {optimizer.StepsTaken} of {TotalSteps}; continue with --resume");
        return new TrainingResult(optimizer.StepsTaken, TotalSteps, cancelled, lastLoss, lastEval, CheckpointPath);
    }

    /// <summary>The mean loss over every target token of the evaluation set, in batches of the run's batch size.</summary>
    private double Evaluate(TrainingMetricsLog metrics, int step)
    {
        double weighted = 0;
        long total = 0;
        for (int start = 0; start < _eval!.Count; start += _options.Batch)
        {
            var batch = _eval.Skip(start).Take(_options.Batch).ToArray();
            long n = batch.Sum(e => (long)_tokens.Targets(e));
            if (n == 0) continue;
            weighted += (double)n * _objective.Evaluate(batch);
            total += n;
        }
        double loss = weighted / Math.Max(1, total);
        metrics.Evaluation(step, loss);
        _reporter.Evaluation(step, loss);
        return loss;
    }

    /// <summary>The checkpoint first (what a resume needs), then the trained tensors into the output directory.</summary>
    private void Save(ParameterStore store, int step, long position, IReadOnlyDictionary<string, string> settings)
    {
        TrainingCheckpoint.Save(CheckpointPath, store, new TrainingState(step, position, _options.Seed, settings));
        _objective.Export(_output);
        _reporter.Message($"saved step {step} to {_output}");
    }

    /// <summary>Every setting that decides this run's numbers, as its checkpoint records them.</summary>
    public IReadOnlyDictionary<string, string> Settings()
    {
        static string D(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        var o = OptimizerSettings;
        var s = new Dictionary<string, string>(_runSettings, StringComparer.Ordinal)
        {
            ["lr"] = D(o.LearningRate), ["warmup"] = o.WarmupSteps.ToString(CultureInfo.InvariantCulture),
            ["total_steps"] = o.TotalSteps.ToString(CultureInfo.InvariantCulture), ["clip"] = D(o.ClipNorm),
            ["weight_decay"] = D(o.WeightDecay), ["beta1"] = D(o.Beta1), ["beta2"] = D(o.Beta2), ["eps"] = D(o.Epsilon),
            ["batch"] = _options.Batch.ToString(CultureInfo.InvariantCulture),
            ["accumulate"] = _options.Accumulate.ToString(CultureInfo.InvariantCulture),
            ["seed"] = _options.Seed.ToString(CultureInfo.InvariantCulture),
            ["examples"] = _train.Count.ToString(CultureInfo.InvariantCulture),
        };
        return s;
    }

    private void RequireSameRun(TrainingState state, IReadOnlyDictionary<string, string> settings)
    {
        var keys = settings.Keys.Union(state.Settings.Keys).Order(StringComparer.Ordinal);
        var differences = keys
            .Where(k => !settings.TryGetValue(k, out var now) || !state.Settings.TryGetValue(k, out var then) || now != then)
            .Select(k => $"{k}: checkpoint {state.Settings.GetValueOrDefault(k, "(none)")}, now {settings.GetValueOrDefault(k, "(none)")}")
            .ToList();
        if (differences.Count > 0)
            throw new InvalidDataException($"{CheckpointPath} belongs to a different run, so resuming would not continue it: {string.Join("; ", differences)}");
        if (state.Step > TotalSteps) throw new InvalidDataException($"{CheckpointPath} is at step {state.Step}, past this run's {TotalSteps}");
    }
}
